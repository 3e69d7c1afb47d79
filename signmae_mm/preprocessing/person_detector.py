"""Person detection with an mmdet detector (RTMDet by default), batched over video frames."""
import copy
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..stack import require_full_stack
from .model_configs import resolve_model_config

__all__ = ['DEFAULT_TEST_CFG', 'PersonDetector']

#: Only the signer is kept, so a thousand candidates before NMS are plenty. mmdet's RTMDet
#: configs keep 30,000 (a COCO-evaluation setting); with weak or random weights nearly every
#: anchor then passes ``score_thr`` and CPU NMS over them costs seconds per frame.
DEFAULT_TEST_CFG = dict(nms_pre=1000, max_per_img=100)


class PersonDetector:
    """Person boxes per frame from an mmdet detector built from a config (+ checkpoint).

    Frames are pushed through the detector's own test pipeline (the one
    :func:`mmdet.apis.inference_detector` uses) and then through one ``model.test_step`` per
    batch: ``inference_detector`` runs one ``test_step`` per image, which wastes most of a GPU
    on video frames.

    Args:
        config (str): Detector config: a file, ``'mmdet::rtmdet/...py'`` or a config name
            shipped with mmdet (see :func:`resolve_model_config`).
        checkpoint (str, optional): Weights. ``None`` keeps random weights (tests only).
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config (mmengine's
            ``--cfg-options`` syntax).
        score_thr (float): Minimum score of a person box. Defaults to 0.3 (mmpose's demos).
        input_size (int | tuple[int, int], optional): Replace the test pipeline's resize and
            pad size, ``S`` or ``(W, H)``, e.g. 320 for speed on small videos. Defaults to the
            config's (640 for RTMDet).
        test_cfg (dict, optional): Merged into ``model.test_cfg``. Defaults to
            :data:`DEFAULT_TEST_CFG` for single-stage detectors (whose ``score_thr`` is also
            raised to ``score_thr``); two-stage ``test_cfg`` (``rpn``/``rcnn``) are left as
            configured.
        person_class (str): Class name of people in the detector's ``dataset_meta``.
            Defaults to ``'person'``.

    Raises:
        FullStackNotInstalledError: mmdet or mmcv's compiled ops are not installed.
    """

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None,
                 score_thr: float = 0.3,
                 input_size: Optional[Union[int, Tuple[int, int]]] = None,
                 test_cfg: Optional[dict] = None,
                 person_class: str = 'person') -> None:
        require_full_stack('Person detection with mmdet')
        from mmdet.apis import init_detector
        from mmengine.config import Config
        self.config = resolve_model_config(config, 'mmdet')
        self.checkpoint = checkpoint
        self.score_thr = float(score_thr)
        cfg = Config.fromfile(self.config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        # never fetch ImageNet backbone weights: the checkpoint (or nothing) gives the weights
        if 'init_cfg' in cfg.model.get('backbone', {}):
            cfg.model.backbone.init_cfg = None
        cfg.model.setdefault('test_cfg', {})
        if not {'rpn', 'rcnn'} & set(cfg.model.test_cfg):  # single-stage (RTMDet, YOLOX, ...)
            cfg.model.test_cfg.update(DEFAULT_TEST_CFG if test_cfg is None else test_cfg)
            # boxes below our threshold are dropped anyway; dropping them before NMS gives the
            # same boxes above it (NMS only suppresses by higher scores) and spares sorting
            # every anchor x class score (mmdet keeps all above 0.001 for COCO evaluation)
            cfg.model.test_cfg.score_thr = max(cfg.model.test_cfg.get('score_thr', 0.0),
                                               self.score_thr)
        elif test_cfg:
            cfg.model.test_cfg.update(test_cfg)
        if input_size is not None:
            _set_test_input_size(cfg, input_size)
        with warnings.catch_warnings(record=True) as caught:
            # init_detector resets the warning filters itself, so record and re-emit all but
            # "checkpoint is None, use COCO classes by default" (expected without weights)
            warnings.simplefilter('always')
            self.model = init_detector(cfg, checkpoint, device=device)
        for w in caught:
            if 'checkpoint is None' not in str(w.message):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        classes = list(self.model.dataset_meta.get('classes', ()))
        if person_class not in classes:
            raise ValueError(f'detector {self.config}: its classes {classes[:10]}... have no '
                             f'{person_class!r} class')
        self.person_label = classes.index(person_class)
        self.pipeline = _build_test_pipeline(cfg)

    @torch.no_grad()
    def __call__(self, frames: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Detect people in a batch of frames.

        Args:
            frames (Sequence[np.ndarray]): ``n`` BGR uint8 frames ``(H, W, 3)`` (or an
                ``(n, H, W, 3)`` array).

        Returns:
            list[np.ndarray]: Per frame, ``(N, 5)`` float32 person boxes
            ``(x1, y1, x2, y2, score)`` in frame pixels with ``score >= score_thr``, sorted by
            decreasing score.
        """
        if len(frames) == 0:
            return []
        data = [self.pipeline(dict(img=np.ascontiguousarray(f), img_id=i))
                for i, f in enumerate(frames)]
        batch = dict(inputs=[d['inputs'] for d in data],
                     data_samples=[d['data_samples'] for d in data])
        results = self.model.test_step(batch)
        out = []
        for res in results:
            inst = res.pred_instances
            keep = (inst.labels == self.person_label) & (inst.scores >= self.score_thr)
            boxes = inst.bboxes[keep].float().cpu().numpy()
            scores = inst.scores[keep].float().cpu().numpy()
            order = np.argsort(-scores, kind='stable')
            out.append(np.concatenate([boxes[order], scores[order, None]], 1).astype(np.float32))
        return out


def _set_test_input_size(cfg, input_size: Union[int, Tuple[int, int]]) -> None:
    """Set the resize scale and the pad size of the detector's test pipeline to ``(W, H)``."""
    from mmdet.utils import get_test_pipeline_cfg
    size = (int(input_size), ) * 2 if np.isscalar(input_size) else tuple(map(int, input_size))
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f'detector input size must be S or (W, H) > 0, got {input_size!r}')
    found = False
    for step in get_test_pipeline_cfg(cfg):
        kind = step['type'].split('.')[-1]
        if kind in ('Resize', 'FixShapeResize'):
            step['scale'] = size
            found = True
        elif kind == 'Pad' and 'size' in step:
            step['size'] = size
    if not found:
        raise ValueError(f'detector {cfg.filename}: its test pipeline has no Resize step to '
                         'set the input size of')


def _build_test_pipeline(cfg):
    """The detector's test pipeline for in-memory frames, without annotation loading."""
    from mmcv.transforms import Compose
    from mmdet.utils import get_test_pipeline_cfg
    steps = []
    for i, step in enumerate(copy.deepcopy(get_test_pipeline_cfg(cfg))):
        kind = step['type'].split('.')[-1]
        if i == 0:
            step['type'] = 'LoadImageFromNDArray'
        elif kind == 'LoadAnnotations':
            continue
        # scope the types explicitly: the pose estimator's init switches the default scope
        step['type'] = 'mmdet.' + step['type'].split('.')[-1]
        steps.append(step)
    return Compose(steps)
