"""Frozen-encoder linear probe: the standard self-supervised evaluation of a pretrained encoder.

The encoder of a finetuning config (mmaction2's ``Recognizer3D`` + ``VisionTransformer``, mean
pooling) is loaded from a pretraining checkpoint (:func:`~signmae_mm.apis.init_sign_encoder`, as
every embedding of the package) and frozen; its pooled features of the clips of
a training list and a test list (the config's test pipeline: no augmentation) are classified by
the same multinomial logistic regression as the raw-pixel baseline
(:mod:`signmae_mm.evaluation.linear_classifier`). Cheaper than finetuning, and more sensitive to
what pretraining learned, since nothing of the encoder can be re-learned from the labels.

Two read-outs (``POOLINGS``), both from one forward pass per clip: ``'mean'``, the backbone's
own pooled feature (the token mean through ``fc_norm``: what the finetuning head sees, and the
standard probe), and ``'tokens'``, every token's feature concatenated in the token grid's order,
which keeps *where* a feature is (a hand's shape lives in one or two tokens of the clip; a mean
over all of them dilutes it).
"""
import time
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from .linear_classifier import classify_features
from .pair_accuracy import Pair

__all__ = ['POOLINGS', 'encoder_features', 'pooled_features', 'linear_probe', 'linear_probes']

#: The probe's read-outs of a clip's encoder tokens (see the module docstring).
POOLINGS: Tuple[str, ...] = ('mean', 'tokens')


def _check_poolings(poolings: Sequence[str]) -> Tuple[str, ...]:
    poolings = tuple(poolings)
    unknown = [p for p in poolings if p not in POOLINGS]
    if unknown or not poolings:
        raise ValueError(f'probe poolings must be some of {POOLINGS}, got {poolings}')
    return poolings


def _token_maps(backbone: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``(B, C, T', H', W')`` token features of mmaction2's ``VisionTransformer`` (its
    ``return_feat_map`` output: after the last block and the final norm)."""
    if not hasattr(backbone, 'return_feat_map') or getattr(backbone, 'fc_norm', None) is None:
        raise ValueError(f'the token probe needs a backbone with return_feat_map and mean '
                         f'pooling (mmaction2\'s VisionTransformer), got '
                         f'{type(backbone).__name__}')
    saved = backbone.return_feat_map
    backbone.return_feat_map = True
    try:
        return backbone(inputs)
    finally:
        backbone.return_feat_map = saved


@torch.no_grad()
def pooled_features(model: torch.nn.Module,
                    config: Any,
                    ann_file: str,
                    video_prefix: str,
                    poolings: Sequence[str] = ('mean', ),
                    batch_size: int = 32) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Encoder features of every clip of an annotation list, read out in several ways at once.

    Args:
        model (torch.nn.Module): A recognizer with ``data_preprocessor``, ``extract_feat`` and
            ``backbone``.
        config (Config): Its config; the test dataloader's dataset (pipeline included) is used
            with ``ann_file`` and ``video_prefix``.
        ann_file (str): Annotation list.
        video_prefix (str): ``data_prefix['video']``.
        poolings (Sequence[str]): Some of :data:`POOLINGS`. Defaults to ``('mean',)``.
        batch_size (int): Clips per forward pass. Defaults to 32.

    Returns:
        tuple[dict[str, np.ndarray], np.ndarray]: Per pooling the features, float32, averaged
        over the views of a sample: ``'mean'`` ``(N, C)``, ``'tokens'`` ``(N, N_tokens * C)``;
        and the labels ``(N,)``.
    """
    from mmaction.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    from signmae_mm.apis.encoder import clip_embeddings

    poolings = _check_poolings(poolings)
    dataset_cfg = config.test_dataloader.dataset.to_dict()
    dataset_cfg.update(ann_file=ann_file, data_prefix=dict(video=video_prefix))
    dataset = DATASETS.build(dataset_cfg)
    feats: Dict[str, list] = {p: [] for p in poolings}
    labels = []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([dataset[i] for i in range(start, min(start + batch_size,
                                                                    len(dataset)))])
        data = model.data_preprocessor(batch, training=False)
        inputs, samples = data['inputs'], data['data_samples']
        num_views = inputs.shape[1]
        if poolings == ('mean', ):
            # the embedding every API of the package gives, averaged over the views
            out = dict(mean=clip_embeddings(model, inputs))
        else:
            backbone = model.backbone
            maps = _token_maps(backbone, inputs.flatten(0, 1)).flatten(2)  # (B * views, C, N)
            # the same mean pooling as VisionTransformer's forward, from the same tokens
            views = dict(mean=backbone.fc_norm(maps.mean(-1)), tokens=maps.transpose(1, 2))
            out = {p: x.reshape(len(samples), num_views, -1).mean(1) for p, x in views.items()}
        for pooling in poolings:
            feats[pooling].append(out[pooling].float().cpu().numpy())
        labels += [int(s.gt_label.reshape(-1)[0]) for s in samples]
    return ({p: np.concatenate(f) for p, f in feats.items()},
            np.asarray(labels, dtype=np.int64))


def encoder_features(model: torch.nn.Module,
                     config: Any,
                     ann_file: str,
                     video_prefix: str,
                     batch_size: int = 32,
                     pooling: str = 'mean') -> Tuple[np.ndarray, np.ndarray]:
    """Encoder features of every clip of an annotation list, one read-out.

    Args:
        model (torch.nn.Module): See :func:`pooled_features`.
        config (Config): See :func:`pooled_features`.
        ann_file (str): Annotation list.
        video_prefix (str): ``data_prefix['video']``.
        batch_size (int): Clips per forward pass. Defaults to 32.
        pooling (str): One of :data:`POOLINGS`. Defaults to ``'mean'``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Features (``(N, C)`` for ``'mean'``) float32 (averaged
        over the views of a sample) and labels ``(N,)``.
    """
    feats, labels = pooled_features(model, config, ann_file, video_prefix, (pooling, ),
                                    batch_size)
    return feats[pooling], labels


def linear_probes(config: Any,
                  checkpoint: Optional[str],
                  train_ann: str,
                  test_ann: str,
                  video_prefix: str,
                  poolings: Sequence[str] = POOLINGS,
                  weight_decay: float = 1e-2,
                  pairs: Optional[Sequence[Pair]] = None,
                  classes: Optional[Sequence[str]] = None,
                  device: str = 'cpu') -> Dict[str, Dict[str, Any]]:
    """Linear probes of a pretrained encoder, one per read-out, from one pass over the clips.

    Args:
        config (str | Config): A finetuning config (``Recognizer3D`` whose backbone loads the
            pretraining checkpoint by its ``init_cfg.prefix``, ``backbone.`` by default).
        checkpoint (str, optional): Pretraining checkpoint; None probes the randomly
            initialised encoder (the "no pretraining" reference).
        train_ann (str): Training annotation list.
        test_ann (str): Evaluated annotation list.
        video_prefix (str): ``data_prefix['video']`` of both lists.
        poolings (Sequence[str]): Some of :data:`POOLINGS`. Defaults to both.
        weight_decay (float): L2 penalty of the logistic regression. Defaults to 1e-2.
        pairs (Sequence, optional): Fine-grained pairs (see
            :func:`~signmae_mm.evaluation.pair_kind_accuracy`); None: a ``vocabulary.json``
            beside the lists, if any.
        classes (Sequence[str], optional): Class names for ``pairs``.
        device (str): Defaults to ``'cpu'``.

    Returns:
        dict[str, dict]: Per pooling, the metrics of
        :func:`~signmae_mm.evaluation.classify_features` (``acc/...``, ``scores``, ``labels``,
        counts) and ``seconds``.
    """
    from mmengine.config import Config

    from signmae_mm.apis.encoder import init_sign_encoder
    poolings = _check_poolings(poolings)
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    start = time.time()
    model = init_sign_encoder(cfg, checkpoint, device)
    x_train, y_train = pooled_features(model, cfg, train_ann, video_prefix, poolings)
    x_test, y_test = pooled_features(model, cfg, test_ann, video_prefix, poolings)
    feature_seconds = time.time() - start
    results = {}
    for pooling in poolings:
        out = classify_features(x_train[pooling], y_train, x_test[pooling], y_test,
                                weight_decay=weight_decay, pairs=pairs, classes=classes,
                                ann_files=(test_ann, train_ann))
        out['seconds'] = dict(features=round(feature_seconds, 2), **out.get('seconds', {}))
        results[pooling] = out
    return results


def linear_probe(config: Any,
                 checkpoint: Optional[str],
                 train_ann: str,
                 test_ann: str,
                 video_prefix: str,
                 weight_decay: float = 1e-2,
                 pairs: Optional[Sequence[Pair]] = None,
                 classes: Optional[Sequence[str]] = None,
                 device: str = 'cpu',
                 pooling: str = 'mean') -> Dict[str, Any]:
    """Linear probe of a pretrained encoder, one read-out (:func:`linear_probes`).

    Args:
        config (str | Config): See :func:`linear_probes`.
        checkpoint (str, optional): Pretraining checkpoint; None probes the randomly
            initialised encoder.
        train_ann (str): Training annotation list.
        test_ann (str): Evaluated annotation list.
        video_prefix (str): ``data_prefix['video']`` of both lists.
        weight_decay (float): L2 penalty of the logistic regression. Defaults to 1e-2.
        pairs (Sequence, optional): Fine-grained pairs; None: a ``vocabulary.json`` beside
            the lists, if any.
        classes (Sequence[str], optional): Class names for ``pairs``.
        device (str): Defaults to ``'cpu'``.
        pooling (str): One of :data:`POOLINGS`. Defaults to ``'mean'``.

    Returns:
        dict: The metrics of :func:`~signmae_mm.evaluation.classify_features` (``acc/...``,
        ``scores``, ``labels``, counts) and ``seconds``.
    """
    return linear_probes(config, checkpoint, train_ann, test_ann, video_prefix, (pooling, ),
                         weight_decay, pairs, classes, device)[pooling]
