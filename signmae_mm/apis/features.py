"""Clip embeddings of sign videos: an encoder's pooled feature of each video, through the
config's test pipeline (its clips and crops averaged), kept with the videos' names and labels
and the identity of the encoder that made them, in a safe ``.npz``."""
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from .encoder import clip_embeddings, encoder_identity, init_sign_encoder
from .file_checks import check_video_file
from .inference import _test_pipeline_cfg, needs_sign_annotation
from .npz_format import json_array, load_json, load_npz, save_npz, text_array

__all__ = ['SignFeatures', 'embed_videos', 'extract_features']

FEATURES_FORMAT = 'signmae_mm.sign_features'
FEATURES_VERSION = 1


@dataclass
class SignFeatures:
    """Embeddings of videos.

    Attributes:
        features (np.ndarray): ``(N, D)`` float32 embeddings.
        names (list[str]): The videos, as given (paths, or a list's file names).
        labels (np.ndarray): ``(N,)`` int64 class indices; -1 = unknown.
        encoder (dict): The encoder's identity (:func:`~signmae_mm.apis.init_sign_encoder`):
            config and checkpoint file names, the checkpoint's short sha256 (or ``'random'``),
            the weights' sha256 and ``embed_dim``.
        classes (list[str]): Class names, index = label (empty when unknown).
        skipped (dict[str, str]): Videos left out with ``skip_bad``: name -> why.
    """
    features: np.ndarray
    names: List[str]
    labels: np.ndarray
    encoder: Dict[str, Any]
    classes: List[str] = field(default_factory=list)
    skipped: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.features = np.asarray(self.features, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.names = [str(n) for n in self.names]
        self.classes = [str(c) for c in self.classes]
        if self.features.ndim != 2 or not len(self.features) == len(self.names) == len(
                self.labels):
            raise ValueError(f'SignFeatures needs (N, D) features, N names and N labels, got '
                             f'{self.features.shape}, {len(self.names)} and {self.labels.shape}')

    def __len__(self) -> int:
        return len(self.names)

    @property
    def embed_dim(self) -> int:
        """``D``, the embedding size."""
        return int(self.features.shape[1])

    def save(self, path: Union[str, Path]) -> str:
        """Write the features to ``path`` (``.npz``, no pickles, all or nothing).

        The file holds ``features`` ``(N, D)`` float32, ``labels`` ``(N,)`` int64, ``names``,
        ``classes``, ``skipped_names`` and ``skipped_reasons`` as unicode arrays, ``encoder``
        as a JSON string, and ``format`` / ``format_version``.

        Returns:
            str: ``path``.
        """
        return save_npz(str(path), FEATURES_FORMAT, FEATURES_VERSION, dict(
            features=self.features, labels=self.labels, names=text_array(self.names),
            classes=text_array(self.classes), encoder=json_array(self.encoder),
            skipped_names=text_array(list(self.skipped)),
            skipped_reasons=text_array(list(self.skipped.values()))))

    @classmethod
    def load(cls, path: Union[str, Path]) -> 'SignFeatures':
        """Read a file written by :meth:`save` (``allow_pickle=False``).

        Raises:
            FileNotFoundError: No such file.
            FormatError: It is not a feature file (a ``ValueError`` naming it).
        """
        data = load_npz(str(path), FEATURES_FORMAT, 'a sign feature file', FEATURES_VERSION,
                        ('features', 'labels', 'names', 'encoder'))
        skipped = dict(zip(data.get('skipped_names', []).tolist(),
                           data.get('skipped_reasons', []).tolist()))
        return cls(data['features'], data['names'].tolist(), data['labels'],
                   load_json(data['encoder']), data.get('classes', np.array([])).tolist(),
                   skipped)


def _read_sample(pipeline, video: str, label: int, info: Dict[str, Any]) -> dict:
    """One video through the test pipeline; a failure is a ``ValueError`` naming the video."""
    check_video_file(video)
    data = dict(filename=video, label=label, start_index=0, modality='RGB', test_mode=True)
    data.update(info)
    try:
        return pipeline(data)
    except Exception as e:  # decoders fail in many ways: each one is this video's failure
        raise ValueError(f'video {video} could not be read by the test pipeline: '
                         f'{type(e).__name__}: {e}') from e


@torch.no_grad()
def embed_videos(model: nn.Module,
                 videos: Sequence[str],
                 labels: Optional[Sequence[int]] = None,
                 *,
                 names: Optional[Sequence[str]] = None,
                 classes: Optional[Sequence[str]] = None,
                 sample_infos: Optional[Sequence[Dict[str, Any]]] = None,
                 batch_size: int = 16,
                 progress: bool = True,
                 skip_bad: bool = False) -> SignFeatures:
    """Embed videos with a model from :func:`~signmae_mm.apis.init_sign_encoder`.

    Each video goes through the config's test pipeline (the test dataloader's, as ``mim test``
    reads it); the embedding (:func:`~signmae_mm.apis.encoder.clip_embeddings`) is averaged over
    the video's views (clips x crops).

    Args:
        model (nn.Module): The recognizer whose encoder embeds.
        videos (Sequence[str]): Video files.
        labels (Sequence[int], optional): Their class indices; None: all -1 (unknown).
        names (Sequence[str], optional): Their names in the result; default: the paths.
        classes (Sequence[str], optional): Class names, kept in the result.
        sample_infos (Sequence[dict], optional): Extra pipeline fields per video
            (``sign_ann``, ``frame_range``); a model that reads sign annotations needs
            ``sign_ann`` for every video.
        batch_size (int): Videos per forward pass. Defaults to 16.
        progress (bool): Show a progress bar (on stderr). Defaults to True.
        skip_bad (bool): Leave out videos that do not decode, recording them in ``skipped``;
            by default the first one is an error. Defaults to False.

    Returns:
        SignFeatures: One row per video read, in order.

    Raises:
        FileNotFoundError / ValueError: A video is missing or does not decode (named; not with
            ``skip_bad``), no video could be read, or sign annotations are needed and missing.
    """
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar

    videos = [str(v) for v in videos]
    count = len(videos)
    labels = [-1] * count if labels is None else [int(v) for v in labels]
    names = list(videos) if names is None else [str(n) for n in names]
    infos = [{}] * count if sample_infos is None else list(sample_infos)
    if not count:
        raise ValueError('no videos to embed')
    if not len(labels) == len(names) == len(infos) == count:
        raise ValueError(f'{count} videos but {len(labels)} labels, {len(names)} names and '
                         f'{len(infos)} sample infos')
    if needs_sign_annotation(model):
        lacking = [v for v, info in zip(videos, infos) if not info.get('sign_ann')]
        if lacking:
            raise ValueError(f'the model reads sign annotations, and {len(lacking)} videos have '
                             f'none (e.g. {lacking[0]}): give an annotation list with its '
                             'sign_ann folder (tools/preprocess.py makes them)')
    init_default_scope(model.cfg.get('default_scope', 'mmaction'))
    pipeline = Compose(_test_pipeline_cfg(model.cfg))
    bar = ProgressBar(count, file=sys.stderr) if progress else None
    rows, kept, skipped, pending = [], [], {}, []

    def forward() -> None:
        batch = model.data_preprocessor(pseudo_collate([p for _, p in pending]), False)
        rows.append(clip_embeddings(model, batch['inputs']).float().cpu().numpy())
        kept.extend(i for i, _ in pending)
        pending.clear()

    try:
        for i, video in enumerate(videos):
            try:
                pending.append((i, _read_sample(pipeline, video, labels[i], infos[i])))
            except (FileNotFoundError, ValueError) as e:
                if not skip_bad:
                    raise
                skipped[names[i]] = str(e)
            if len(pending) == batch_size:
                forward()
            if bar is not None:
                bar.update()
        if pending:
            forward()
    finally:
        if bar is not None:  # end the bar's line, also before an error's message
            bar.file.write('\n')
    if not kept:
        raise ValueError(f'none of the {count} videos could be read (e.g. '
                         f'{next(iter(skipped.values()))})')
    features = np.concatenate(rows)
    identity = encoder_identity(model)
    identity['embed_dim'] = int(features.shape[1])
    model.encoder_identity['embed_dim'] = identity['embed_dim']
    return SignFeatures(features, [names[i] for i in kept], [labels[i] for i in kept], identity,
                        list(classes or []), skipped)


def extract_features(config: Union[str, Path, Any],
                     checkpoint: Optional[str],
                     videos: Sequence[str],
                     labels: Optional[Sequence[int]] = None,
                     *,
                     batch_size: int = 16,
                     device: Union[str, torch.device] = 'cpu',
                     progress: bool = True,
                     skip_bad: bool = False,
                     names: Optional[Sequence[str]] = None,
                     classes: Optional[Sequence[str]] = None,
                     sample_infos: Optional[Sequence[Dict[str, Any]]] = None) -> SignFeatures:
    """Embed videos with the encoder of a recognizer config and a checkpoint.

    :func:`~signmae_mm.apis.init_sign_encoder` then :func:`embed_videos`: ``checkpoint`` may be
    a finetuned recognizer's, a pretraining one (its ``backbone.`` keys) or None (a random
    encoder: the "no pretraining" reference, different at each call unless seeded).

    Args:
        config (str | Path | Config): A recognizer config.
        checkpoint (str, optional): Recognizer or pretraining checkpoint; None: random.
        videos (Sequence[str]): Video files.
        labels (Sequence[int], optional): Their class indices; None: -1.
        batch_size (int): Videos per forward pass. Defaults to 16.
        device (str | torch.device): Defaults to ``'cpu'``.
        progress (bool): Show a progress bar. Defaults to True.
        skip_bad (bool): Skip (and record) videos that do not decode. Defaults to False.
        names (Sequence[str], optional): The videos' names in the result; default: the paths.
        classes (Sequence[str], optional): Class names, kept in the result.
        sample_infos (Sequence[dict], optional): Extra pipeline fields per video (see
            :func:`embed_videos`).

    Returns:
        SignFeatures: The embeddings.
    """
    model = init_sign_encoder(config, checkpoint, device)
    return embed_videos(model, videos, labels, names=names, classes=classes,
                        sample_infos=sample_infos, batch_size=batch_size, progress=progress,
                        skip_bad=skip_bad)
