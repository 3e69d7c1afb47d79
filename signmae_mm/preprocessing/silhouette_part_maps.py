"""Keypoint part maps trimmed to the person's silhouette (the MediaPipe backend's part maps).

MediaPipe Holistic's selfie segmentation gives a person silhouette per frame; the thick arm
capsules and the padded face hull of :class:`~.part_maps.KeypointPartMaps` are cut back to it.
"""
from typing import Optional, Sequence

import cv2
import numpy as np

from signmae_mm.structures import PART_GROUPS, SAPIENS_CLASSES, part_maps_from_label_map

from .holistic_keypoints import MEDIAPIPE_SOURCE
from .part_maps import GridSize, KeypointPartMaps

__all__ = ['DEFAULT_TRIM_CLASSES', 'SilhouetteKeypointPartMaps']

_BG = SAPIENS_CLASSES.index('Background')
#: Classes trimmed to the silhouette by default: the thick arm capsules and the padded face hull
#: overshoot the body outline; the hand hulls are kept whole (the selfie segmentation is coarse
#: at the fingers, and a hand must never be lost from the mask).
DEFAULT_TRIM_CLASSES = tuple(SAPIENS_CLASSES.index(c) for c in (
    'Face_Neck', 'Left_Upper_Arm', 'Right_Upper_Arm', 'Left_Lower_Arm', 'Right_Lower_Arm'))


class SilhouetteKeypointPartMaps(KeypointPartMaps):
    """Keypoint part maps (:class:`KeypointPartMaps`) trimmed to the person's silhouette.

    The parts are drawn from the keypoints exactly as on the mmpose path; then the pixels of the
    ``trim_classes`` that lie outside the selfie-segmentation silhouette (probability below
    ``mask_thr``, after growing it by ``mask_dilation`` x the body size) become background.
    Frames without a silhouette are left untrimmed.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        mask_thr (float): Silhouette probability threshold. Defaults to 0.5.
        mask_dilation (float): Growth of the silhouette before trimming, fraction of the
            body size. Defaults to 0: on real clips the silhouette followed the arms' outline
            closely, and trimming removed the 1-9 % of the arm capsules that stuck out into the
            background (0.03 already kept nearly all of it).
        trim_classes (Sequence[int]): Sapiens class ids to trim. Defaults to the face and the
            four arm classes (:data:`DEFAULT_TRIM_CLASSES`).
        **kwargs: Further arguments of :class:`KeypointPartMaps` (``kpt_thr``, widths ...).
    """
    name = MEDIAPIPE_SOURCE
    #: The per-frame person silhouettes (:class:`~.mediapipe_holistic.HolisticFrames`).
    extra_inputs = ('silhouettes', )

    def __init__(self,
                 grid_size: GridSize = 32,
                 mask_thr: float = 0.5,
                 mask_dilation: float = 0.0,
                 trim_classes: Sequence[int] = DEFAULT_TRIM_CLASSES,
                 **kwargs) -> None:
        super().__init__(grid_size, **kwargs)
        self.mask_thr = float(mask_thr)
        self.mask_dilation = float(mask_dilation)
        self.trim_classes = tuple(int(c) for c in trim_classes)
        self._trim_lut = np.zeros(256, bool)
        self._trim_lut[list(self.trim_classes)] = True

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes,
                   silhouettes: Optional[Sequence[Optional[np.ndarray]]] = None) -> np.ndarray:
        out = super().label_maps(frames, img_shape, keypoints, keypoint_scores, bboxes)
        if silhouettes is None:
            return out
        h, w = img_shape
        ch, cw = out.shape[1:]
        for t, sil in enumerate(silhouettes):
            if sil is None or not out[t].any():
                continue
            inside = cv2.resize(np.asarray(sil, np.float32), (cw, ch),
                                interpolation=cv2.INTER_AREA) >= self.mask_thr
            body = self.body_size(np.asarray(keypoints[t], np.float64), keypoint_scores[t],
                                  bboxes[t])
            r = int(round(self.mask_dilation * body * cw / w))
            if r > 0:
                disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
                inside = cv2.dilate(inside.view(np.uint8), disc).astype(bool)
            out[t][self._trim_lut[out[t]] & ~inside] = _BG
        return out

    def __call__(self, frames, img_shape, keypoints, keypoint_scores, bboxes,
                 silhouettes: Optional[Sequence[Optional[np.ndarray]]] = None) -> np.ndarray:
        """Part maps of ``n`` frames (see :meth:`PartMapSource.__call__`), trimmed to the
        ``silhouettes`` (``n`` arrays ``(H, W)`` or None) when given."""
        if len(bboxes) == 0:
            return np.zeros((0, len(PART_GROUPS)) + self.grid_size, np.uint8)
        labels = self.label_maps(frames, tuple(img_shape), keypoints, keypoint_scores, bboxes,
                                 silhouettes)
        return part_maps_from_label_map(labels, self.grid_size)
