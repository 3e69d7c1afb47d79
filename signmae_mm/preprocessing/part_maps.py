"""Part maps of hands, arms and face per frame, from Sapiens segmentation or from keypoints.

Both sources paint a per-pixel map of :data:`~signmae_mm.datasets.sign_annotation.SAPIENS_CLASSES`
ids and hand it to :func:`~signmae_mm.datasets.sign_annotation.part_maps_from_label_map`, so the
class grouping (:data:`PART_GROUP_SAPIENS_CLASSES`) and the grid pooling live in one place, the
annotation format's module.
"""
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from signmae_mm.datasets.sign_annotation import (KEYPOINT_RANGES, LEFT_SHOULDER, LEFT_WRIST,
                                                 PART_GROUPS, RIGHT_SHOULDER, RIGHT_WRIST,
                                                 SAPIENS_CLASSES, part_maps_from_label_map)

__all__ = [
    'PART_MAP_SOURCES', 'SAPIENS_INPUT_SIZE', 'SAPIENS_MEAN', 'SAPIENS_STD', 'PartMapSource',
    'KeypointPartMaps', 'SapiensPartMaps', 'build_part_map_source', 'load_segmentation_model'
]

#: Sapiens' own segmentation inference: (H, W) input, RGB mean and std on 0-255 pixels.
SAPIENS_INPUT_SIZE: Tuple[int, int] = (1024, 768)
SAPIENS_MEAN: Tuple[float, float, float] = (123.5, 116.5, 103.5)
SAPIENS_STD: Tuple[float, float, float] = (58.5, 57.0, 57.5)

#: Names recorded as ``part_map_source`` in the sign annotation.
PART_MAP_SOURCES = ('sapiens', 'keypoints')

LEFT_ELBOW, RIGHT_ELBOW = 7, 8
_CLS = {name: SAPIENS_CLASSES.index(name) for name in SAPIENS_CLASSES}
GridSize = Union[int, Tuple[int, int]]


def _grid(grid_size: GridSize) -> Tuple[int, int]:
    gh, gw = (grid_size, grid_size) if np.isscalar(grid_size) else grid_size
    if int(gh) < 1 or int(gw) < 1:
        raise ValueError(f'grid size must be >= 1, got {grid_size!r}')
    return int(gh), int(gw)


class PartMapSource(metaclass=ABCMeta):
    """Part maps ``(n, P, Gh, Gw)`` uint8 for a batch of frames of one video.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)`` cells over the whole frame.
            Defaults to 32 (the format's recommended grid).
    """
    #: Recorded as the annotation's ``part_map_source``.
    name: str = ''

    def __init__(self, grid_size: GridSize = 32) -> None:
        self.grid_size = _grid(grid_size)

    @property
    def needs_frames(self) -> bool:
        """Whether :meth:`__call__` looks at the pixels (else frames may be None)."""
        return True

    @abstractmethod
    def label_maps(self, frames: Optional[np.ndarray], img_shape: Tuple[int, int],
                   keypoints: np.ndarray, keypoint_scores: np.ndarray,
                   bboxes: np.ndarray) -> np.ndarray:
        """Per-pixel Sapiens class ids ``(n, h, w)``, uint8, covering the whole frame."""

    def __call__(self, frames: Optional[np.ndarray], img_shape: Tuple[int, int],
                 keypoints: np.ndarray, keypoint_scores: np.ndarray,
                 bboxes: np.ndarray) -> np.ndarray:
        """Part maps of ``n`` frames.

        Args:
            frames (np.ndarray | None): ``(n, H, W, 3)`` BGR uint8 frames (None is fine when
                :attr:`needs_frames` is False).
            img_shape (tuple[int, int]): ``(H, W)`` of the frames.
            keypoints (np.ndarray): ``(n, 133, 2)`` keypoints in frame pixels.
            keypoint_scores (np.ndarray): ``(n, 133)`` scores.
            bboxes (np.ndarray): ``(n, 4)`` signer boxes; zeros = no person in the frame.

        Returns:
            np.ndarray: ``(n, P, Gh, Gw)`` uint8, 255 = cell fully covered.
        """
        n = len(bboxes)
        if n == 0:
            return np.zeros((0, len(PART_GROUPS)) + self.grid_size, np.uint8)
        labels = self.label_maps(frames, tuple(img_shape), keypoints, keypoint_scores, bboxes)
        return part_maps_from_label_map(labels, self.grid_size)


# ------------------------------------------------------------------------------ keypoints
class KeypointPartMaps(PartMapSource):
    """Part maps drawn from whole-body keypoints (no segmentation model needed).

    Per frame, in painting order (later parts cover earlier ones, as hands in front of the
    face and arms do in a segmentation): the face (hull of the face and head points), upper
    arms (shoulder to elbow) and forearms (elbow to wrist) as thick segments, then each hand as
    the convex hull of its keypoints (wrist included), widened by a margin. Widths are
    fractions of the body size: the shoulder width when both shoulders are detected, else
    ``box_body_ratio`` x the person box height, and always within 0.15-0.6 x the box height
    so that a side view (shoulders on top of each other) or a bad shoulder point cannot shrink
    or blow up the parts. Points below ``kpt_thr`` are not used: a hand with fewer than
    ``min_hand_points`` such points, or a limb segment with an undetected end, is not drawn.

    The map is drawn on a canvas of ``supersample`` x the grid (coordinates scaled per axis;
    widths become ellipses where the frame and the grid differ in aspect), so a cell's value is
    its covered fraction to ``1 / supersample**2``.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        kpt_thr (float): Minimum keypoint score. Defaults to 0.3.
        upper_arm_width (float): Upper-arm thickness / body size. Defaults to 0.3.
        forearm_width (float): Forearm thickness / body size. Defaults to 0.22.
        hand_margin (float): Margin around the hand hull / body size. Defaults to 0.06.
        face_margin (float): Margin around the face hull / body size. Defaults to 0.04.
        min_hand_points (int): Minimum detected points of a hand. Defaults to 3.
        box_body_ratio (float): Body size / box height without shoulders. Defaults to 0.3.
        supersample (int): Canvas pixels per cell side. Defaults to 8.
    """
    name = 'keypoints'

    def __init__(self,
                 grid_size: GridSize = 32,
                 kpt_thr: float = 0.3,
                 upper_arm_width: float = 0.3,
                 forearm_width: float = 0.22,
                 hand_margin: float = 0.06,
                 face_margin: float = 0.04,
                 min_hand_points: int = 3,
                 box_body_ratio: float = 0.3,
                 supersample: int = 8) -> None:
        super().__init__(grid_size)
        self.kpt_thr = float(kpt_thr)
        self.upper_arm_width = float(upper_arm_width)
        self.forearm_width = float(forearm_width)
        self.hand_margin = float(hand_margin)
        self.face_margin = float(face_margin)
        self.min_hand_points = int(min_hand_points)
        self.box_body_ratio = float(box_body_ratio)
        self.supersample = int(supersample)
        face = list(range(*KEYPOINT_RANGES['face'])) + [0, 1, 2, 3, 4]  # + nose, eyes, ears
        lh, rh = KEYPOINT_RANGES['left_hand'], KEYPOINT_RANGES['right_hand']
        # (class, points, kind): painted in this order
        self._parts = [
            (_CLS['Face_Neck'], face, 'hull', self.face_margin),
            (_CLS['Left_Upper_Arm'], [LEFT_SHOULDER, LEFT_ELBOW], 'limb', upper_arm_width),
            (_CLS['Right_Upper_Arm'], [RIGHT_SHOULDER, RIGHT_ELBOW], 'limb', upper_arm_width),
            (_CLS['Left_Lower_Arm'], [LEFT_ELBOW, LEFT_WRIST], 'limb', forearm_width),
            (_CLS['Right_Lower_Arm'], [RIGHT_ELBOW, RIGHT_WRIST], 'limb', forearm_width),
            (_CLS['Left_Hand'], [LEFT_WRIST] + list(range(*lh)), 'hand', self.hand_margin),
            (_CLS['Right_Hand'], [RIGHT_WRIST] + list(range(*rh)), 'hand', self.hand_margin),
        ]

    @property
    def needs_frames(self) -> bool:
        return False

    def body_size(self, keypoints: np.ndarray, keypoint_scores: np.ndarray,
                  bbox: np.ndarray) -> float:
        """Body size of one frame in pixels (see the class docstring); 0 = no person."""
        if not np.any(bbox):
            return 0.0  # no person box in this frame: its keypoints are not a person's
        box_h = float(bbox[3] - bbox[1])
        shoulders = keypoint_scores[[LEFT_SHOULDER, RIGHT_SHOULDER]] >= self.kpt_thr
        if shoulders.all():
            size = float(np.linalg.norm(keypoints[LEFT_SHOULDER] - keypoints[RIGHT_SHOULDER]))
        else:
            size = self.box_body_ratio * box_h
        if box_h > 0:
            size = float(np.clip(size, 0.15 * box_h, 0.6 * box_h))
        return size

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes) -> np.ndarray:
        h, w = img_shape
        gh, gw = self.grid_size
        ch, cw = gh * self.supersample, gw * self.supersample
        scale = np.array([cw / w, ch / h])
        out = np.zeros((len(bboxes), ch, cw), np.uint8)
        for t in range(len(bboxes)):
            kps, scores = np.asarray(keypoints[t], np.float64), keypoint_scores[t]
            body = self.body_size(kps, scores, bboxes[t])
            if body <= 0:
                continue
            valid = (scores >= self.kpt_thr) & np.isfinite(kps).all(1)
            for cls, idx, kind, width in self._parts:
                ok = [i for i in idx if valid[i]]
                if kind == 'limb':
                    if len(ok) == 2:
                        _draw_capsule(out[t], kps[ok[0]], kps[ok[1]], width * body / 2, scale,
                                      cls)
                elif len(ok) >= (self.min_hand_points if kind == 'hand' else 3):
                    _draw_padded_hull(out[t], kps[ok], width * body, scale, cls)
        return out


_SHIFT = 4  # cv2 fixed-point bits: sub-pixel precision on the canvas


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points) * (1 << _SHIFT)).astype(np.int32)


def _draw_capsule(canvas: np.ndarray, p: np.ndarray, q: np.ndarray, radius: float,
                  scale: np.ndarray, value: int) -> None:
    """Fill the set of frame points within ``radius`` of segment ``pq`` (canvas = frame x scale)."""
    d = q - p
    length = float(np.hypot(*d))
    if length > 1e-6:
        n = np.array([-d[1], d[0]]) / length * radius
        quad = np.stack([p + n, q + n, q - n, p - n]) * scale
        cv2.fillConvexPoly(canvas, _fixed(quad), int(value), cv2.LINE_8, _SHIFT)
    axes = _fixed(np.maximum(radius * scale, 0.5))
    for c in (p, q):
        cv2.ellipse(canvas, tuple(int(v) for v in _fixed(c * scale)), tuple(int(v) for v in axes),
                    0, 0, 360, int(value), -1, cv2.LINE_8, _SHIFT)


def _draw_padded_hull(canvas: np.ndarray, points: np.ndarray, margin: float, scale: np.ndarray,
                      value: int) -> None:
    """Fill the convex hull of ``points`` grown by ``margin`` (frame pixels)."""
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    if len(hull) >= 3:
        cv2.fillPoly(canvas, [_fixed(hull * scale)], int(value), cv2.LINE_8, _SHIFT)
    for a, b in zip(hull, np.roll(hull, -1, 0)):  # Minkowski sum with a disc: edge capsules
        _draw_capsule(canvas, a, b, margin, scale, value)


# ------------------------------------------------------------------------------- Sapiens
def load_segmentation_model(path: str, device: Union[str, torch.device] = 'cpu'):
    """Load a TorchScript (``torch.jit.save``) or ``torch.export`` (``.pt2``) model file.

    Sapiens' released "lite" segmentation models are TorchScript archives (some named
    ``*_torchscript.pt2``); a ``torch.export.save`` file works too.

    Args:
        path (str): The model file.
        device (str | torch.device): Where to load it.

    Returns:
        Callable: The model, in eval mode where it has one.

    Raises:
        FileNotFoundError / RuntimeError: Naming the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'segmentation model file {path} does not exist')
    errors = []
    try:
        model = torch.jit.load(path, map_location=device)
        return model.eval()
    except Exception as e:  # not TorchScript: try torch.export below
        errors.append(f'torch.jit.load: {str(e).strip().splitlines()[0][:200]}')
    try:
        model = torch.export.load(path).module()
        return model.to(device)
    except Exception as e:
        errors.append(f'torch.export.load: {str(e).strip().splitlines()[0][:200]}')
    raise RuntimeError(f'cannot load the segmentation model {path} as TorchScript or as a '
                       f'torch.export program ({"; ".join(errors)})')


class SapiensPartMaps(PartMapSource):
    """Part maps from a Sapiens body-part segmentation model run on the signer's crop.

    Sapiens' own recipe, on the crop instead of the whole frame (the signer then fills the
    model's input, as the people of Sapiens' training images do): the signer box, grown by
    ``bbox_padding`` and widened to the model input's aspect ratio, is cut from the frame
    (clipped to it), resized to ``input_size`` (bilinear), turned BGR -> RGB and normalised
    with :data:`SAPIENS_MEAN` / :data:`SAPIENS_STD`; the 28-class logits are resized
    (bilinear) to the crop, the argmax is pasted into a background frame, and the classes are
    grouped by the format's part groups. A frame without a box is segmented whole.

    The model's contract (Sapiens' TorchScript export): ``(N, 3, H, W)`` float in, ``(N, 28,
    h, w)`` logits out, any ``h, w``.

    Args:
        model (str | Callable): Model file (TorchScript or ``torch.export``) or a loaded model.
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        input_size (tuple[int, int]): Model input ``(H, W)``. Defaults to (1024, 768).
        bbox_padding (float): Growth of the signer box. Defaults to 1.25 (mmpose's top-down
            padding).
        device (str): Torch device. Defaults to ``'cpu'``.
        dtype (str | torch.dtype, optional): Input dtype (``'float16'``, ``'bfloat16'`` for
            half-precision exports). Defaults to the model's parameter dtype, else float32.
        batch_size (int): Crops per forward pass. Defaults to 8.
    """
    name = 'sapiens'

    def __init__(self,
                 model,
                 grid_size: GridSize = 32,
                 input_size: Tuple[int, int] = SAPIENS_INPUT_SIZE,
                 bbox_padding: float = 1.25,
                 device: str = 'cpu',
                 dtype=None,
                 batch_size: int = 8) -> None:
        super().__init__(grid_size)
        self.model_path = model if isinstance(model, str) else None
        self.model = load_segmentation_model(model, device) if isinstance(model, str) else model
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.bbox_padding = float(bbox_padding)
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        if dtype is None:
            params = list(getattr(self.model, 'parameters', lambda: [])())
            dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
        self.dtype = dtype
        self._mean = torch.tensor(SAPIENS_MEAN, device=self.device).view(1, 3, 1, 1)
        self._std = torch.tensor(SAPIENS_STD, device=self.device).view(1, 3, 1, 1)

    def crop_box(self, bbox: np.ndarray, img_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """Integer crop ``(x0, y0, x1, y1)`` of one frame for a signer box (see the class)."""
        h, w = img_shape
        if not np.any(bbox):
            return 0, 0, w, h
        x1, y1, x2, y2 = (float(v) for v in bbox[:4])
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        bw, bh = max(x2 - x1, 1.0) * self.bbox_padding, max(y2 - y1, 1.0) * self.bbox_padding
        aspect = self.input_size[1] / self.input_size[0]  # W / H of the model input
        if bw / bh > aspect:
            bh = bw / aspect
        else:
            bw = bh * aspect
        x0 = int(np.clip(np.floor(cx - bw / 2), 0, w - 1))
        y0 = int(np.clip(np.floor(cy - bh / 2), 0, h - 1))
        x1_ = int(np.clip(np.ceil(cx + bw / 2), x0 + 1, w))
        y1_ = int(np.clip(np.ceil(cy + bh / 2), y0 + 1, h))
        return x0, y0, x1_, y1_

    @torch.no_grad()
    def segment(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """Logits of BGR crops, each already resized to ``input_size``: ``(n, 28, h, w)``."""
        x = torch.from_numpy(np.stack(crops)[..., ::-1].copy()).to(self.device)
        x = x.permute(0, 3, 1, 2).float()
        x = ((x - self._mean) / self._std).to(self.dtype)
        out = self.model(x)
        if isinstance(out, (list, tuple)):
            out = out[0]
        if not isinstance(out, torch.Tensor) or out.ndim != 4 or \
                out.shape[:2] != (len(crops), len(SAPIENS_CLASSES)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise RuntimeError(
                f'segmentation model {self.model_path or type(self.model).__name__} returned '
                f'{shape} for {len(crops)} crops; expected ({len(crops)}, '
                f'{len(SAPIENS_CLASSES)}, h, w) logits over the Sapiens classes')
        return out.float()

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes) -> np.ndarray:
        if frames is None:
            raise ValueError('SapiensPartMaps needs the frames')
        h, w = img_shape
        in_h, in_w = self.input_size
        out = np.zeros((len(frames), h, w), np.uint8)  # 0 = Background
        boxes = [self.crop_box(b, (h, w)) for b in bboxes]
        for start in range(0, len(frames), self.batch_size):
            idx = range(start, min(start + self.batch_size, len(frames)))
            crops = [cv2.resize(frames[i][y0:y1, x0:x1], (in_w, in_h),
                                interpolation=cv2.INTER_LINEAR)
                     for i, (x0, y0, x1, y1) in ((i, boxes[i]) for i in idx)]
            logits = self.segment(crops)
            for j, i in enumerate(idx):
                x0, y0, x1, y1 = boxes[i]
                up = F.interpolate(logits[j:j + 1], size=(y1 - y0, x1 - x0), mode='bilinear',
                                   align_corners=False)
                out[i, y0:y1, x0:x1] = up[0].argmax(0).to(torch.uint8).cpu().numpy()
        return out


def build_part_map_source(kind: str = 'auto',
                          sapiens: Optional[str] = None,
                          grid_size: GridSize = 32,
                          device: str = 'cpu',
                          **kwargs) -> PartMapSource:
    """The part-map source for a run.

    Args:
        kind (str): ``'sapiens'``, ``'keypoints'`` or ``'auto'`` (Sapiens when a model file
            is given, else keypoints). Defaults to ``'auto'``.
        sapiens (str, optional): Sapiens segmentation model file.
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        device (str): Torch device of the Sapiens model. Defaults to ``'cpu'``.
        **kwargs: Further arguments of the chosen class.

    Returns:
        PartMapSource: :class:`SapiensPartMaps` or :class:`KeypointPartMaps`.
    """
    if kind == 'auto':
        kind = 'sapiens' if sapiens else 'keypoints'
    if kind == 'sapiens':
        if not sapiens:
            raise ValueError('part maps from Sapiens need the segmentation model file '
                             '(--sapiens PATH)')
        return SapiensPartMaps(sapiens, grid_size=grid_size, device=device, **kwargs)
    if kind == 'keypoints':
        if sapiens:
            raise ValueError(f'a Sapiens model ({sapiens}) was given with part-map source '
                             '"keypoints"; drop one of them')
        return KeypointPartMaps(grid_size=grid_size, **kwargs)
    raise ValueError(f'part-map source must be "auto", "sapiens" or "keypoints", got {kind!r}')
