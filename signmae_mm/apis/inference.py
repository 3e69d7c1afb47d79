"""Name the sign in a video with a trained model: mmaction2's ``init_recognizer`` /
``inference_recognizer``, extended to the sign annotation some models read and to the fused
multi-stream model, whose streams' scores are reported beside the fused one."""
import os.path as osp
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine
import numpy as np
import torch
import torch.nn as nn
from mmaction.apis import init_recognizer
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from signmae_mm.structures import load_annotation_list
from .file_checks import check_checkpoint_file, check_video_file

__all__ = ['SignRecognition', 'annotate_video', 'class_names', 'inference_sign_recognizer',
           'init_sign_recognizer', 'needs_sign_annotation']

#: Transforms that read the video's sign annotation (``sign_ann``).
_ANNOTATION_READERS = ('LoadSignAnnotation', )


@dataclass
class SignRecognition:
    """The scores a model gave one video.

    Attributes:
        video (str): The video file.
        scores (dict[str, np.ndarray]): ``(num_classes, )`` scores by output: ``'prediction'``
            for a single-stream model; each stream's name and ``'fused'`` for a
            :class:`~signmae_mm.models.MultiStreamRecognizer`.
        classes (list[str]): Class names, index = label.
        sign_ann (str, optional): The sign annotation the model read, if any (None when it was
            made in a temporary folder, since removed).
        notes (list[str]): What was assumed or made on the way, for the user.
    """
    video: str
    scores: Dict[str, np.ndarray]
    classes: List[str]
    sign_ann: Optional[str] = None
    notes: List[str] = field(default_factory=list)

    def top_k(self, k: int = 5, output: Optional[str] = None) -> List[Tuple[int, str, float]]:
        """The ``k`` best classes of one output (default: ``'fused'``, else the only one).

        Returns:
            list[tuple[int, str, float]]: ``(label, class name, score)``, best first.
        """
        if output is None:
            output = 'fused' if 'fused' in self.scores else next(iter(self.scores))
        scores = self.scores[output]
        order = np.argsort(-scores, kind='stable')[:k]
        return [(int(i), self.classes[i], float(scores[i])) for i in order]


def init_sign_recognizer(config: Union[str, Path, mmengine.Config],
                         checkpoint: Optional[str] = None,
                         device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """Build a recognizer from its config and load a checkpoint, strictly.

    As :func:`mmaction.apis.init_recognizer`, but a checkpoint that does not fit the model (a
    missing or an unexpected key) is an error rather than a log line, and the checkpoint's
    ``dataset_meta`` (the class names of the data it was trained on) is kept as
    ``model.dataset_meta``, as mmdet and mmpose do.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint file. None: the weights the config gives (a
            late-fusion model loads its streams' checkpoints itself).
        device (str | torch.device): Device. Defaults to ``'cpu'``.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``.

    Raises:
        FileNotFoundError: No such checkpoint file.
        ValueError: The file is not a checkpoint (a video, a text file ...: named) or does not
            unpickle.
        RuntimeError: The checkpoint does not fit the model (from ``load_state_dict``).
    """
    if isinstance(config, (str, Path)):
        config = mmengine.Config.fromfile(str(config))
    model = init_recognizer(config, None, device='cpu')
    model.dataset_meta = None
    if checkpoint is not None:
        check_checkpoint_file(checkpoint)
        try:
            loaded = load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        except (pickle.UnpicklingError, EOFError) as e:
            raise ValueError(f'checkpoint {checkpoint} cannot be read: {e}') from None
        model.dataset_meta = (loaded.get('meta') or {}).get('dataset_meta')
    return model.to(device).eval()


def _test_pipeline_cfg(cfg: mmengine.Config) -> list:
    if cfg.get('test_dataloader') and cfg.test_dataloader.get('dataset'):
        return list(cfg.test_dataloader.dataset.pipeline)
    return list(cfg.test_pipeline)


def needs_sign_annotation(model: nn.Module) -> bool:
    """Whether the model's test pipeline reads the video's sign annotation (keypoints, part
    maps): then :func:`inference_sign_recognizer` needs one, given or made with MediaPipe."""
    return any(str(step.get('type', '')).split('.')[-1] in _ANNOTATION_READERS
               for step in _test_pipeline_cfg(model.cfg))


def class_names(model: nn.Module, classes_file: Optional[str] = None) -> List[str]:
    """The class names of a recognizer's labels.

    In order: ``classes_file`` (one name per line), the checkpoint's ``dataset_meta``, the
    ``classes`` of the config's test annotation list when that file exists here, else the
    label numbers.

    Args:
        model (nn.Module): From :func:`init_sign_recognizer`.
        classes_file (str, optional): A text file with one class name per line.

    Returns:
        list[str]: One name per class of the model.
    """
    num = _num_classes(model)
    names = None
    if classes_file is not None:
        with open(classes_file, encoding='utf-8') as f:
            names = [line.rstrip('\n') for line in f if line.strip()]
        if num is not None and len(names) != num:
            raise ValueError(f'{classes_file}: {len(names)} class names for a model of {num} '
                             'classes')
    meta = getattr(model, 'dataset_meta', None) or {}
    if names is None and meta.get('classes'):
        names = [str(c) for c in meta['classes']]
    if names is None:
        ann_file = model.cfg.get('test_dataloader', {}).get('dataset', {}).get('ann_file')
        if isinstance(ann_file, str) and ann_file.endswith('.json') and osp.isfile(ann_file):
            classes = load_annotation_list(ann_file)[0].get('classes')
            names = [str(c) for c in classes] if classes else None
    if names is None:
        names = [str(k) for k in range(num or 0)]
    if num is not None and len(names) < num:
        names = names + [str(k) for k in range(len(names), num)]
    return names


def _num_classes(model: nn.Module) -> Optional[int]:
    head = getattr(model, 'cls_head', None)
    if head is not None:
        return int(head.num_classes)
    streams = getattr(model, 'streams', None)
    if streams:
        return int(next(iter(streams.values())).num_classes)
    return None


def annotate_video(video: str, out_file: str, grid_size: int = 32) -> str:
    """Write a video's sign annotation with MediaPipe Holistic (CPU, no weight files).

    The keypoints, the person boxes and the part maps trimmed to the person's silhouette, as
    ``tools/preprocess.py --pose-backend mediapipe`` makes them.

    Args:
        video (str): The video file.
        out_file (str): The ``.npz`` to write.
        grid_size (int): Part-map grid side. Defaults to 32 (the preprocessing default).

    Returns:
        str: ``out_file``.

    Raises:
        MediaPipeNotInstalledError: Without the ``mediapipe`` package.
        PreprocessError: The video does not decode, or holds no person.
    """
    from signmae_mm.preprocessing import (MediaPipeHolistic, SilhouetteKeypointPartMaps,
                                          VideoAnnotator)
    annotator = VideoAnnotator(MediaPipeHolistic(), SilhouetteKeypointPartMaps(grid_size))
    annotator.process(video).save(out_file)
    return out_file


def inference_sign_recognizer(model: nn.Module,
                              video: str,
                              sign_ann: Optional[str] = None,
                              classes: Optional[Sequence[str]] = None,
                              annotation_dir: Optional[str] = None) -> SignRecognition:
    """Score one video with a recognizer from :func:`init_sign_recognizer`.

    The config's test pipeline is run on the video (its clips and crops, as in ``mim test``).
    A model whose pipeline reads the sign annotation gets ``sign_ann``, or, without it, one made
    with MediaPipe (:func:`annotate_video`) and kept in ``annotation_dir`` (default: a
    temporary folder, removed afterwards; nothing is written beside the video).

    Args:
        model (nn.Module): The recognizer.
        video (str): The video file.
        sign_ann (str, optional): Its sign annotation (``.npz``).
        classes (Sequence[str], optional): Class names (default: :func:`class_names`).
        annotation_dir (str, optional): Where to keep annotations made on the fly.

    Returns:
        SignRecognition: Scores per output; for a multi-stream model each stream's and the
        fused ones.

    Raises:
        FileNotFoundError: The video or the annotation does not exist.
        ValueError: The video does not decode (what it is instead, when its bytes say so).
    """
    import tempfile

    check_video_file(video)
    classes = list(classes) if classes is not None else class_names(model)
    notes = []
    tmp = None
    if needs_sign_annotation(model):
        if sign_ann is None:
            folder = annotation_dir or tempfile.mkdtemp(prefix='signmae_recognize_')
            tmp = None if annotation_dir else folder
            sign_ann = osp.join(folder, Path(video).stem + '.npz')
            annotate_video(video, sign_ann)
            notes.append(f'sign annotation made with MediaPipe Holistic: {sign_ann}')
        elif not osp.isfile(sign_ann):
            raise FileNotFoundError(f'sign annotation {sign_ann} not found')
    elif sign_ann is not None:
        notes.append(f'the model reads no sign annotation: {sign_ann} not used')
        sign_ann = None
    try:
        data = dict(filename=video, label=-1, start_index=0, modality='RGB', test_mode=True)
        if sign_ann is not None:
            data['sign_ann'] = sign_ann
        scores = _score(model, data)
    finally:
        if tmp is not None:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
            sign_ann = None
    return SignRecognition(video, scores, classes, sign_ann, notes)


def _score(model: nn.Module, data: dict) -> Dict[str, np.ndarray]:
    init_default_scope(model.cfg.get('default_scope', 'mmaction'))
    batch = pseudo_collate([Compose(_test_pipeline_cfg(model.cfg))(data)])
    with torch.no_grad():
        if not hasattr(model, 'predict_streams'):
            sample = model.test_step(batch)[0]
            return dict(prediction=sample.pred_score.float().cpu().numpy())
        # a multi-stream model: each stream's scores and the fused ones, from one pass
        batch = model.data_preprocessor(batch, False)
        streams, fused = model.predict_streams(batch['inputs'], batch['data_samples'])
    scores = {name: out['score'][0].float().cpu().numpy() for name, out in streams.items()}
    scores['fused'] = fused[0].pred_score.float().cpu().numpy()
    return scores
