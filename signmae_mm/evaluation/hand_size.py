"""How large a hand is in the tokens a model sees: the question a clip geometry must answer.

A ViT reads a hand shape from the tokens the hand lies in; when a hand is a fraction of one
token, its shape is a few pixels of one patch embedding. :func:`hand_extents` measures each
visible hand in a data set's sign annotations (the side of the box around its 21 keypoints, as
a fraction of the frame's short side); :func:`tokens_per_hand` turns their median into token
cells of a config's model input (``img_size / patch_size`` cells across the short side, as the
test pipeline's resize of the short side and centre crop gives them).
"""
import os.path as osp
from typing import Any, Dict, Optional

import numpy as np

from ..structures import KEYPOINT_RANGES, load_annotation_list, load_sign_annotation

__all__ = ['hand_extents', 'tokens_per_hand']


def hand_extents(ann_file: str,
                 sign_ann_prefix: str,
                 max_videos: Optional[int] = None,
                 score_thr: float = 0.3) -> np.ndarray:
    """The extent of every visible hand of every frame, as a fraction of the short side.

    Args:
        ann_file (str): Annotation list (``sign_ann`` entries).
        sign_ann_prefix (str): ``data_prefix['sign_ann']`` of the list.
        max_videos (int, optional): Read at most this many videos (the first ones). None: all.
        score_thr (float): A hand counts in a frame when all its 21 keypoints score at least
            this (a missing hand has no extent). Defaults to 0.3.

    Returns:
        np.ndarray: ``(M,)`` float32, ``max(box width, box height) / min(H, W)`` per visible
        hand and frame.

    Raises:
        ValueError: The list names no sign annotation, or no hand is visible anywhere.
    """
    _, entries = load_annotation_list(ann_file)
    entries = entries[:max_videos] if max_videos is not None else entries
    extents = []
    for entry in entries:
        if not entry.get('sign_ann'):
            raise ValueError(f'{ann_file}: entry {entry.get("filename")} has no sign_ann: '
                             'hand sizes come from the sign annotations')
        ann = load_sign_annotation(osp.join(sign_ann_prefix, entry['sign_ann']))
        short = float(min(ann['img_shape']))
        for side in ('left_hand', 'right_hand'):
            start, stop = KEYPOINT_RANGES[side]
            points = ann['keypoints'][:, start:stop]  # (T, 21, 2)
            visible = (ann['keypoint_scores'][:, start:stop] >= score_thr).all(1)
            if visible.any():
                box = points[visible].max(1) - points[visible].min(1)  # (T', 2)
                extents.append(box.max(1) / short)
    if not extents:
        raise ValueError(f'{ann_file}: no hand with all 21 keypoints scored >= {score_thr} in '
                         f'{len(entries)} videos')
    return np.concatenate(extents).astype(np.float32)


def tokens_per_hand(config: Any,
                    ann_file: str,
                    sign_ann_prefix: str,
                    max_videos: Optional[int] = 500) -> Dict[str, float]:
    """Median hand extent of a data set in token cells of a config's model input.

    Args:
        config (str | Config): A config whose ``model.backbone`` has ``img_size`` and
            ``patch_size`` (square input, test pipeline: short side resized to ``img_size``).
        ann_file (str): Annotation list with sign annotations.
        sign_ann_prefix (str): ``data_prefix['sign_ann']`` of the list.
        max_videos (int, optional): Videos read (the first ones). Defaults to 500.

    Returns:
        dict: ``tokens_per_hand`` (median extent x cells across), ``median_extent`` (fraction
        of the short side), ``cells`` (``img_size / patch_size``), ``num_hands`` (hand-frames
        measured).
    """
    from mmengine.config import Config

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    backbone = cfg.model.backbone
    img_size, patch_size = backbone.get('img_size'), backbone.get('patch_size')
    if not img_size or not patch_size:
        raise ValueError('tokens_per_hand needs model.backbone.img_size and patch_size, got '
                         f'{img_size} and {patch_size}')
    img_size = img_size if isinstance(img_size, int) else min(img_size)
    patch_size = patch_size if isinstance(patch_size, int) else max(patch_size)
    extents = hand_extents(ann_file, sign_ann_prefix, max_videos)
    median = float(np.median(extents))
    cells = img_size / patch_size
    return dict(tokens_per_hand=median * cells, median_extent=median, cells=cells,
                num_hands=int(len(extents)))
