"""Whole-body keypoints (COCO-WholeBody, 133 points) with an mmpose top-down model."""
import copy
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from signmae_mm.structures import NUM_KEYPOINTS

from ..stack import require_full_stack
from .model_configs import resolve_model_config

__all__ = ['WholeBodyPoseEstimator']


class WholeBodyPoseEstimator:
    """Top-down whole-body pose (RTMPose by default) on one person box per frame.

    Each (frame, box) pair goes through the model's test pipeline exactly as in
    :func:`mmpose.apis.inference_topdown`; the pairs of many frames are then collated into one
    ``model.test_step`` (``inference_topdown`` batches the boxes of one image only, and a sign
    video has one box per frame).

    Args:
        config (str): Pose config: a file, ``'mmpose::wholebody_2d_keypoint/...py'`` or a
            config name shipped with mmpose.
        checkpoint (str, optional): Weights. ``None`` keeps random weights (tests only).
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Raises:
        FullStackNotInstalledError: mmpose or mmcv's compiled ops are not installed.
        ValueError: The model does not predict the 133 COCO-WholeBody keypoints.
    """

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None) -> None:
        require_full_stack('Whole-body pose estimation with mmpose')
        from mmcv.transforms import Compose
        from mmengine.config import Config
        from mmengine.registry import DefaultScope
        from mmpose.apis import init_model
        self.config = resolve_model_config(config, 'mmpose')
        self.checkpoint = checkpoint
        cfg = Config.fromfile(self.config)
        self.model = init_model(cfg, checkpoint, device=device, cfg_options=cfg_options)
        num = self.model.dataset_meta.get('num_keypoints')
        if num != NUM_KEYPOINTS:
            raise ValueError(f'pose model {self.config} predicts {num} keypoints; the sign '
                             f'annotation needs the {NUM_KEYPOINTS} COCO-WholeBody keypoints')
        steps = copy.deepcopy(self.model.cfg.test_dataloader.dataset.pipeline)
        for step in steps:  # scope explicitly: the detector's init switches the default scope
            step['type'] = 'mmpose.' + step['type'].split('.')[-1]
        with DefaultScope.overwrite_default_scope('mmpose'):
            self.pipeline = Compose(steps)

    @torch.no_grad()
    def __call__(self, frames: Sequence[np.ndarray],
                 bboxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Keypoints of the person in each frame's box.

        Args:
            frames (Sequence[np.ndarray]): ``n`` BGR uint8 frames ``(H, W, 3)``.
            bboxes (np.ndarray): ``(n, 4)`` boxes ``(x1, y1, x2, y2)``; a frame whose box is
                all zeros (no person) gets zero keypoints and scores and is not run.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``(n, 133, 2)`` float32 keypoints in frame pixels
            and ``(n, 133)`` float32 scores.
        """
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        if len(bboxes) != len(frames):
            raise ValueError(f'{len(frames)} frames but {len(bboxes)} boxes')
        keypoints = np.zeros((len(frames), NUM_KEYPOINTS, 2), np.float32)
        scores = np.zeros((len(frames), NUM_KEYPOINTS), np.float32)
        run = np.flatnonzero(bboxes.any(1))
        if not len(run):
            return keypoints, scores
        from mmengine.dataset import pseudo_collate
        data = []
        for i in run:
            info = dict(img=frames[i], bbox=bboxes[i][None], bbox_score=np.ones(1, np.float32))
            info.update(self.model.dataset_meta)
            data.append(self.pipeline(info))
        results = self.model.test_step(pseudo_collate(data))
        for i, res in zip(run, results):
            keypoints[i] = res.pred_instances.keypoints[0]
            scores[i] = res.pred_instances.keypoint_scores[0]
        # SimCC scores are logit maxima and can be negative; the format wants >= 0
        # (0 = not detected), and mmpose marks such points undetected too (location -1)
        np.clip(scores, 0, None, out=scores)
        return keypoints, scores
