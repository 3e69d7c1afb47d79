"""The SignAnnotation format: what one video's ``.npz`` holds, and its validation.

One compressed ``.npz`` file per video (written by
:func:`~signmae_mm.structures.save_sign_annotation`, read by
:func:`~signmae_mm.structures.load_sign_annotation`), referenced from the dataset's annotation
list (a JSON file in mmengine's ``{"metainfo": ..., "data_list": [...]}`` layout, see
:func:`~signmae_mm.structures.load_annotation_list`). ``docs/annotation_format.md`` describes
the format for users; this module is its single source of truth: the COCO-WholeBody keypoint
indices we use, the Sapiens body-part class list and the part groups that part maps are stored
for.

Arrays of one ``.npz`` (``T`` = frames of the video as the video decoder counts them, ``K = 133``,
``P = 7`` part groups, ``Gh x Gw`` = the part-map grid, any size, the same for every frame):

=====================  ====================  ========  ========================================
key                    shape                 dtype     meaning
=====================  ====================  ========  ========================================
``keypoints``          ``(T, K, 2)``         float32   (x, y) in the video's pixel frame
``keypoint_scores``    ``(T, K)``            float32   confidence >= 0; 0 = not detected
``person_bboxes``      ``(T, 4)``            float32   signer box (x1, y1, x2, y2), pixels;
                                                       zeros = no person in that frame
``part_maps``          ``(T, P, Gh, Gw)``    uint8     covered fraction of each cell x 255
                                                       (stored sparse, see below)
``img_shape``          ``(2,)``              int64     (height, width) of the video frames
``part_groups``        ``(P,)``              str       must equal :data:`PART_GROUPS`
``part_map_source``    ``()``                str       e.g. ``'sapiens'`` or ``'keypoints'``
``format_version``     ``()``                int64     :data:`FORMAT_VERSION`
=====================  ====================  ========  ========================================

Part maps are mostly zeros (a signer's hands, arms and face cover a few percent of the cells), and
inflating them whole was most of the cost of loading an annotation per training clip. Since
format 2 the file stores their non-zero cells (:data:`SPARSE_PART_MAP_KEYS`, see
:mod:`signmae_mm.structures.part_maps`); the reader returns the dense ``part_maps`` either way,
and format 1 files (a dense ``part_maps`` array) still load.
"""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'FORMAT_VERSION', 'NUM_KEYPOINTS', 'KEYPOINT_LAYOUT', 'KEYPOINT_RANGES', 'LEFT_SHOULDER',
    'RIGHT_SHOULDER', 'LEFT_WRIST', 'RIGHT_WRIST', 'HAND_KEYPOINTS', 'SAPIENS_CLASSES',
    'PART_GROUPS', 'PART_GROUP_SAPIENS_CLASSES', 'PART_MAP_SCALE', 'REQUIRED_KEYS',
    'SPARSE_PART_MAP_KEYS', 'SignAnnotationError', 'part_group_indices',
    'validate_sign_annotation'
]

#: Version of the ``.npz`` layout; bump when keys or meanings change. 2: part maps stored sparse
#: (format 1 files, with dense ``part_maps``, load too).
FORMAT_VERSION = 2
#: The members that store the part maps sparse (format 2).
SPARSE_PART_MAP_KEYS = ('part_maps_shape', 'part_maps_frame_offsets', 'part_maps_cells',
                        'part_maps_values')

# ---------------------------------------------------------------- keypoints (COCO-WholeBody)
#: Number of COCO-WholeBody keypoints.
NUM_KEYPOINTS = 133
#: Name of the keypoint layout, recorded in the annotation list's metainfo.
KEYPOINT_LAYOUT = 'coco_wholebody_133'
#: Index ranges (start, stop) of the COCO-WholeBody keypoint groups (0-based).
KEYPOINT_RANGES: Dict[str, Tuple[int, int]] = {
    'body': (0, 17),
    'feet': (17, 23),
    'face': (23, 91),
    'left_hand': (91, 112),
    'right_hand': (112, 133),
}
LEFT_SHOULDER, RIGHT_SHOULDER = 5, 6
LEFT_WRIST, RIGHT_WRIST = 9, 10
#: Wrists plus the 42 hand points: what the hand-movement check looks at by default.
HAND_KEYPOINTS: Tuple[int, ...] = (LEFT_WRIST, RIGHT_WRIST) + tuple(range(91, 133))

# ---------------------------------------------------------------- Sapiens body-part classes
#: The 28 classes of Sapiens body-part segmentation, index = class id ("Left" = subject's left).
SAPIENS_CLASSES: Tuple[str, ...] = (
    'Background', 'Apparel', 'Face_Neck', 'Hair', 'Left_Foot', 'Left_Hand', 'Left_Lower_Arm',
    'Left_Lower_Leg', 'Left_Shoe', 'Left_Sock', 'Left_Upper_Arm', 'Left_Upper_Leg',
    'Lower_Clothing', 'Right_Foot', 'Right_Hand', 'Right_Lower_Arm', 'Right_Lower_Leg',
    'Right_Shoe', 'Right_Sock', 'Right_Upper_Arm', 'Right_Upper_Leg', 'Torso', 'Upper_Clothing',
    'Lower_Lip', 'Upper_Lip', 'Lower_Teeth', 'Upper_Teeth', 'Tongue')

#: Part groups that part maps are stored for, in storage order. Hands first, then arms, so that
#: the default priority groups of the hand-arm mask are contiguous slices.
PART_GROUPS: Tuple[str, ...] = ('left_hand', 'right_hand', 'left_lower_arm', 'right_lower_arm',
                                'left_upper_arm', 'right_upper_arm', 'face')

#: Sapiens class ids that make up each part group.
PART_GROUP_SAPIENS_CLASSES: Dict[str, Tuple[int, ...]] = {
    'left_hand': (SAPIENS_CLASSES.index('Left_Hand'), ),
    'right_hand': (SAPIENS_CLASSES.index('Right_Hand'), ),
    'left_lower_arm': (SAPIENS_CLASSES.index('Left_Lower_Arm'), ),
    'right_lower_arm': (SAPIENS_CLASSES.index('Right_Lower_Arm'), ),
    'left_upper_arm': (SAPIENS_CLASSES.index('Left_Upper_Arm'), ),
    'right_upper_arm': (SAPIENS_CLASSES.index('Right_Upper_Arm'), ),
    'face': tuple(
        SAPIENS_CLASSES.index(c)
        for c in ('Face_Neck', 'Lower_Lip', 'Upper_Lip', 'Lower_Teeth', 'Upper_Teeth', 'Tongue')),
}

#: A part-map value of 255 means the cell is fully covered.
PART_MAP_SCALE = 255

REQUIRED_KEYS = ('keypoints', 'keypoint_scores', 'person_bboxes', 'part_maps', 'img_shape',
                 'part_groups')


class SignAnnotationError(ValueError):
    """A sign annotation is missing, malformed or disagrees with its video."""


def fail(source: str, msg: str) -> None:
    """Raise :class:`SignAnnotationError` naming ``source`` (the video and/or the file)."""
    raise SignAnnotationError(f'{source}: {msg}')


def check_frame_count(source: str, num_frames: int, total_frames: Optional[int]) -> None:
    """Fail unless an annotation of ``num_frames`` frames fits a video of ``total_frames``
    (None: nothing to check)."""
    if total_frames is not None and int(total_frames) != num_frames:
        fail(source, f'frame count mismatch: the annotation has {num_frames} frames, the video '
             f'has {int(total_frames)}')


def part_group_indices(names: Sequence[str]) -> List[int]:
    """Indices into :data:`PART_GROUPS` of part-group names.

    Names are matched case-insensitively, so Sapiens-style spellings (``'Left_Hand'``) work.

    Args:
        names (Sequence[str]): Part-group names.

    Returns:
        list[int]: Their indices in :data:`PART_GROUPS`.
    """
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        key = str(name).lower()
        if key not in PART_GROUPS:
            raise ValueError(f'Unknown part group {name!r}; valid part groups are '
                             f'{list(PART_GROUPS)}')
        out.append(PART_GROUPS.index(key))
    return out


def validate_sign_annotation(ann: Mapping[str, Any],
                             source: str = '<sign annotation>',
                             total_frames: Optional[int] = None,
                             img_shape: Optional[Sequence[int]] = None,
                             allow_nonfinite: bool = False) -> None:
    """Check one video's sign annotation, and optionally that it matches its video.

    Args:
        ann (Mapping): The arrays (see the module docstring), ``part_maps`` dense.
        source (str): What to name in error messages (the video and/or the file).
        total_frames (int, optional): Frame count of the video as its decoder reports it.
        img_shape (Sequence[int], optional): ``(height, width)`` of the video frames.
        allow_nonfinite (bool): Accept NaN / inf keypoint coordinates or scores (the caller
            then deals with them). Non-finite coordinates of points with score 0 are always
            accepted (undetected points). Defaults to False.

    Raises:
        SignAnnotationError: Naming ``source`` and the problem.
    """
    missing = [k for k in REQUIRED_KEYS if k not in ann]
    if missing:
        fail(source, f'sign annotation lacks {missing} (has {sorted(ann.keys())})')
    groups = tuple(str(g) for g in np.asarray(ann['part_groups']).reshape(-1))
    if groups != PART_GROUPS:
        fail(source, f'part groups {list(groups)} differ from the expected {list(PART_GROUPS)}')
    kps = np.asarray(ann['keypoints'])
    scores = np.asarray(ann['keypoint_scores'])
    boxes = np.asarray(ann['person_bboxes'])
    maps = np.asarray(ann['part_maps'])
    shape = np.asarray(ann['img_shape']).reshape(-1)
    if shape.size != 2 or not np.issubdtype(shape.dtype, np.number) or (shape <= 0).any():
        fail(source, f'img_shape must be (height, width) > 0, got {shape.tolist()}')
    t = kps.shape[0] if kps.ndim else 0
    if kps.ndim != 3 or kps.shape[1:] != (NUM_KEYPOINTS, 2):
        fail(source, f'keypoints must have shape (T, {NUM_KEYPOINTS}, 2), got {kps.shape}')
    if scores.shape != (t, NUM_KEYPOINTS):
        fail(source, f'keypoint_scores must have shape ({t}, {NUM_KEYPOINTS}), '
             f'got {scores.shape}')
    if boxes.shape != (t, 4):
        fail(source, f'person_bboxes must have shape ({t}, 4), got {boxes.shape}')
    if maps.ndim != 4 or maps.shape[:2] != (t, len(PART_GROUPS)) or min(maps.shape[2:]) < 1:
        fail(source, f'part_maps must have shape ({t}, {len(PART_GROUPS)}, Gh, Gw), '
             f'got {maps.shape}')
    if maps.dtype != np.uint8:
        fail(source, f'part_maps must be uint8 (255 = fully covered), got {maps.dtype}')
    if t == 0:
        fail(source, 'sign annotation has 0 frames')
    if not allow_nonfinite:
        bad_scores = ~np.isfinite(scores)
        if bad_scores.any():
            frame = int(np.argwhere(bad_scores)[0, 0])
            fail(source, f'{int(bad_scores.sum())} keypoint scores are NaN/inf (first in frame '
                 f'{frame}); fix the annotation or use nonfinite_keypoints="ignore"')
        bad_kps = ~np.isfinite(kps).all(-1) & (scores > 0)
        if bad_kps.any():
            frame = int(np.argwhere(bad_kps)[0, 0])
            fail(source, f'{int(bad_kps.sum())} keypoints with a positive score have NaN/inf '
                 f'coordinates (first in frame {frame})')
    check_frame_count(source, t, total_frames)
    if img_shape is not None and tuple(int(v) for v in img_shape[:2]) != tuple(shape.tolist()):
        fail(source, f'image size mismatch: the annotation is for {tuple(shape.tolist())} '
             f'(h, w) frames, the video has {tuple(int(v) for v in img_shape[:2])}')
