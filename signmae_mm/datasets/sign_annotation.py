"""The SignMAE per-video sign annotation: keypoints, person boxes and part maps.

One compressed ``.npz`` file per video (written by :func:`save_sign_annotation`, read by
:func:`load_sign_annotation`), referenced from the dataset's annotation list (a JSON file in
mmengine's ``{"metainfo": ..., "data_list": [...]}`` layout, see :func:`load_annotation_list`).
``docs/annotation_format.md`` describes the format for users; this module is its single source of
truth: the COCO-WholeBody keypoint indices we use, the Sapiens body-part class list and the part
groups that part maps are stored for.

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
format 2 the file stores their non-zero cells: ``part_maps_shape`` ``(4,)`` int64 (``T, P, Gh,
Gw``), ``part_maps_frame_offsets`` ``(T + 1,)`` int64 (frame ``t``'s cells are
``[offsets[t], offsets[t + 1])``), ``part_maps_cells`` (uint16 or uint32 flat index into a frame's
``P x Gh x Gw`` cells) and ``part_maps_values`` (uint8). :func:`load_sign_annotation` returns the
dense ``part_maps`` either way; format 1 files (a dense ``part_maps`` array) still load.
"""
import io
import json
import os
import os.path as osp
import re
import tempfile
import zipfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'FORMAT_VERSION', 'NUM_KEYPOINTS', 'KEYPOINT_LAYOUT', 'KEYPOINT_RANGES', 'LEFT_SHOULDER',
    'RIGHT_SHOULDER', 'LEFT_WRIST', 'RIGHT_WRIST', 'HAND_KEYPOINTS', 'SAPIENS_CLASSES',
    'PART_GROUPS', 'PART_GROUP_SAPIENS_CLASSES', 'PART_MAP_SCALE', 'REQUIRED_KEYS',
    'SignAnnotationError', 'part_group_indices', 'part_maps_from_label_map',
    'validate_sign_annotation', 'save_sign_annotation', 'load_sign_annotation',
    'load_annotation_list', 'dump_annotation_list', 'SPARSE_PART_MAP_KEYS'
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


def part_maps_from_label_map(label_map: np.ndarray,
                             grid_size: Tuple[int, int] = (32, 32)) -> np.ndarray:
    """Part maps from a per-pixel Sapiens class map (the argmax of its logits).

    Each cell of the ``grid_size`` grid over the frame gets the fraction of its area covered by
    each part group, by exact area averaging (``cv2.INTER_AREA``).

    Args:
        label_map (np.ndarray): Integer class ids of :data:`SAPIENS_CLASSES`, shape ``(H, W)`` or
            ``(T, H, W)``.
        grid_size (tuple[int, int]): ``(Gh, Gw)`` cells. Defaults to ``(32, 32)``.

    Returns:
        np.ndarray: uint8 part maps, ``(P, Gh, Gw)`` or ``(T, P, Gh, Gw)``, 255 = fully covered.
    """
    label_map = np.asarray(label_map)
    if label_map.ndim == 2:
        return part_maps_from_label_map(label_map[None], grid_size)[0]
    if label_map.ndim != 3 or not np.issubdtype(label_map.dtype, np.integer):
        raise ValueError('label_map must be an integer array of shape (H, W) or (T, H, W), got '
                         f'{label_map.dtype} {label_map.shape}')
    gh, gw = (int(v) for v in grid_size)
    # class id -> one-hot over part groups (classes outside every group map to nothing)
    lut = np.zeros((max(len(SAPIENS_CLASSES), int(label_map.max()) + 1), len(PART_GROUPS)),
                   dtype=np.float32)
    for p, name in enumerate(PART_GROUPS):
        lut[list(PART_GROUP_SAPIENS_CLASSES[name]), p] = 1.0
    out = np.empty((label_map.shape[0], len(PART_GROUPS), gh, gw), dtype=np.uint8)
    for t, frame in enumerate(label_map):
        onehot = lut[frame]  # (H, W, P)
        # OpenCV's area resize takes at most 4 channels unless the scale is a whole number
        pooled = np.concatenate([
            cv2.resize(onehot[..., c:c + 4], (gw, gh), interpolation=cv2.INTER_AREA).reshape(
                gh, gw, -1) for c in range(0, onehot.shape[-1], 4)], axis=-1)
        out[t] = np.rint(np.clip(pooled, 0, 1) * PART_MAP_SCALE).transpose(2, 0, 1)
    return out


def _fail(source: str, msg: str) -> None:
    raise SignAnnotationError(f'{source}: {msg}')


def validate_sign_annotation(ann: Mapping[str, Any],
                             source: str = '<sign annotation>',
                             total_frames: Optional[int] = None,
                             img_shape: Optional[Sequence[int]] = None,
                             allow_nonfinite: bool = False) -> None:
    """Check one video's sign annotation, and optionally that it matches its video.

    Args:
        ann (Mapping): The arrays (see the module docstring).
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
        _fail(source, f'sign annotation lacks {missing} (has {sorted(ann.keys())})')
    groups = tuple(str(g) for g in np.asarray(ann['part_groups']).reshape(-1))
    if groups != PART_GROUPS:
        _fail(source, f'part groups {list(groups)} differ from the expected {list(PART_GROUPS)}')
    kps = np.asarray(ann['keypoints'])
    scores = np.asarray(ann['keypoint_scores'])
    boxes = np.asarray(ann['person_bboxes'])
    maps = np.asarray(ann['part_maps'])
    shape = np.asarray(ann['img_shape']).reshape(-1)
    if shape.size != 2 or not np.issubdtype(shape.dtype, np.number) or (shape <= 0).any():
        _fail(source, f'img_shape must be (height, width) > 0, got {shape.tolist()}')
    t = kps.shape[0] if kps.ndim else 0
    if kps.ndim != 3 or kps.shape[1:] != (NUM_KEYPOINTS, 2):
        _fail(source, f'keypoints must have shape (T, {NUM_KEYPOINTS}, 2), got {kps.shape}')
    if scores.shape != (t, NUM_KEYPOINTS):
        _fail(source, f'keypoint_scores must have shape ({t}, {NUM_KEYPOINTS}), '
              f'got {scores.shape}')
    if boxes.shape != (t, 4):
        _fail(source, f'person_bboxes must have shape ({t}, 4), got {boxes.shape}')
    if maps.ndim != 4 or maps.shape[:2] != (t, len(PART_GROUPS)) or min(maps.shape[2:]) < 1:
        _fail(source, f'part_maps must have shape ({t}, {len(PART_GROUPS)}, Gh, Gw), '
              f'got {maps.shape}')
    if maps.dtype != np.uint8:
        _fail(source, f'part_maps must be uint8 (255 = fully covered), got {maps.dtype}')
    if t == 0:
        _fail(source, 'sign annotation has 0 frames')
    if not allow_nonfinite:
        bad_scores = ~np.isfinite(scores)
        if bad_scores.any():
            frame = int(np.argwhere(bad_scores)[0, 0])
            _fail(source, f'{int(bad_scores.sum())} keypoint scores are NaN/inf (first in frame '
                  f'{frame}); fix the annotation or use nonfinite_keypoints="ignore"')
        bad_kps = ~np.isfinite(kps).all(-1) & (scores > 0)
        if bad_kps.any():
            frame = int(np.argwhere(bad_kps)[0, 0])
            _fail(source, f'{int(bad_kps.sum())} keypoints with a positive score have NaN/inf '
                  f'coordinates (first in frame {frame})')
    if total_frames is not None and int(total_frames) != t:
        _fail(source, f'frame count mismatch: the annotation has {t} frames, the video has '
              f'{int(total_frames)}')
    if img_shape is not None and tuple(int(v) for v in img_shape[:2]) != tuple(shape.tolist()):
        _fail(source, f'image size mismatch: the annotation is for {tuple(shape.tolist())} '
              f'(h, w) frames, the video has {tuple(int(v) for v in img_shape[:2])}')


def save_sign_annotation(path: str,
                         keypoints: np.ndarray,
                         keypoint_scores: np.ndarray,
                         person_bboxes: np.ndarray,
                         part_maps: np.ndarray,
                         img_shape: Sequence[int],
                         part_map_source: str = 'unknown') -> str:
    """Validate and write one video's sign annotation as a compressed ``.npz``, atomically.

    The file is written to a temporary name in the same folder and renamed, so a killed writer
    never leaves a truncated file under ``path``.

    Args:
        path (str): Output file (``.npz``).
        keypoints (np.ndarray): ``(T, 133, 2)`` pixel coordinates.
        keypoint_scores (np.ndarray): ``(T, 133)`` confidences.
        person_bboxes (np.ndarray): ``(T, 4)`` signer boxes ``(x1, y1, x2, y2)``.
        part_maps (np.ndarray): ``(T, 7, Gh, Gw)`` uint8 (or float fractions in [0, 1], which
            are quantised to uint8).
        img_shape (Sequence[int]): ``(height, width)`` of the video frames.
        part_map_source (str): Where the part maps came from. Defaults to ``'unknown'``.

    Returns:
        str: ``path``.
    """
    part_maps = np.asarray(part_maps)
    if np.issubdtype(part_maps.dtype, np.floating):
        part_maps = np.rint(np.clip(part_maps, 0, 1) * PART_MAP_SCALE).astype(np.uint8)
    ann = dict(
        keypoints=np.asarray(keypoints, dtype=np.float32),
        keypoint_scores=np.asarray(keypoint_scores, dtype=np.float32),
        person_bboxes=np.asarray(person_bboxes, dtype=np.float32),
        part_maps=part_maps,
        img_shape=np.asarray(img_shape, dtype=np.int64).reshape(-1),
        part_groups=np.asarray(PART_GROUPS),
        part_map_source=np.asarray(str(part_map_source)),
        format_version=np.asarray(FORMAT_VERSION, dtype=np.int64))
    validate_sign_annotation(ann, source=str(path), allow_nonfinite=True)
    ann.update(_sparse_part_maps(ann.pop('part_maps')))
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.npz', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez_compressed(f, **ann)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    return path


_NPY_HEADER = re.compile(r"\{'descr': '([^']+)', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}")


def _read_npz(raw: bytes) -> Dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (as ``np.load``, without pickles), faster for many small
    members: one zip read per member and numpy's own header written by ``np.save`` parsed
    directly (``np.load`` evaluates each header with ``ast``); any other header goes through
    ``numpy.lib.format``."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            key = name[:-4] if name.endswith('.npy') else name
            if data[:8] == b'\x93NUMPY\x01\x00':
                size = int.from_bytes(data[8:10], 'little')
                match = _NPY_HEADER.match(data[10:10 + size].decode('latin1'))
                if match:
                    dtype = np.dtype(match.group(1))
                    if not dtype.hasobject:
                        shape = tuple(int(v) for v in match.group(2).split(',') if v.strip())
                        out[key] = np.frombuffer(bytearray(data[10 + size:]), dtype).reshape(shape)
                        continue
            out[key] = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    return out


def _sparse_part_maps(part_maps: np.ndarray) -> Dict[str, np.ndarray]:
    """The members of :data:`SPARSE_PART_MAP_KEYS` for dense ``(T, P, Gh, Gw)`` part maps."""
    flat = part_maps.reshape(part_maps.shape[0], -1)
    frames, cells = np.nonzero(flat)  # row-major: frame by frame
    offsets = np.zeros(flat.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(frames, minlength=flat.shape[0]), out=offsets[1:])
    return dict(part_maps_shape=np.asarray(part_maps.shape, np.int64),
                part_maps_frame_offsets=offsets,
                part_maps_cells=cells.astype(np.uint16 if flat.shape[1] <= 1 << 16 else np.uint32),
                part_maps_values=flat[frames, cells])


def _dense_part_maps(sparse: Mapping[str, np.ndarray], source: str) -> np.ndarray:
    """Dense ``(T, P, Gh, Gw)`` uint8 part maps from the sparse members, checked."""
    missing = [k for k in SPARSE_PART_MAP_KEYS if k not in sparse]
    if missing:
        _fail(source, f'sparse part maps lack {missing}')
    shape = np.asarray(sparse['part_maps_shape']).reshape(-1)
    offsets = np.asarray(sparse['part_maps_frame_offsets']).reshape(-1)
    cells = np.asarray(sparse['part_maps_cells']).reshape(-1)
    values = np.asarray(sparse['part_maps_values']).reshape(-1)
    if shape.size != 4 or not np.issubdtype(shape.dtype, np.integer) or (shape <= 0).any():
        _fail(source, f'part_maps_shape must be 4 positive ints (T, P, Gh, Gw), got {shape}')
    t, size = int(shape[0]), int(np.prod(shape[1:]))
    if (offsets.shape != (t + 1, ) or offsets[0] != 0 or (np.diff(offsets) < 0).any()
            or offsets[-1] != cells.size or cells.size != values.size):
        _fail(source, f'sparse part maps are inconsistent: {t + 1} non-decreasing frame offsets '
              f'from 0 to the {cells.size} cells (and {values.size} values) expected, got '
              f'{offsets.shape[0]} offsets ending at {offsets[-1] if offsets.size else None}')
    if not np.issubdtype(cells.dtype, np.unsignedinteger) or values.dtype != np.uint8:
        _fail(source, f'sparse part maps need unsigned cell indices and uint8 values, got '
              f'{cells.dtype} / {values.dtype}')
    if cells.size and int(cells.max()) >= size:
        _fail(source, f'sparse part maps index cell {int(cells.max())} of a frame of {size}')
    dense = np.zeros((t, size), np.uint8)
    dense[np.repeat(np.arange(t), np.diff(offsets)), cells] = values
    return dense.reshape(tuple(int(v) for v in shape))


def load_sign_annotation(path: str,
                         backend_args: Optional[dict] = None,
                         source: Optional[str] = None,
                         total_frames: Optional[int] = None,
                         img_shape: Optional[Sequence[int]] = None,
                         allow_nonfinite: bool = False) -> Dict[str, np.ndarray]:
    """Read and validate one video's sign annotation.

    Args:
        path (str): The ``.npz`` file (any mmengine file backend).
        backend_args (dict, optional): mmengine file backend arguments.
        source (str, optional): What to name in errors. Defaults to ``path``.
        total_frames (int, optional): Expected frame count (the video's).
        img_shape (Sequence[int], optional): Expected ``(height, width)`` (the video's).
        allow_nonfinite (bool): See :func:`validate_sign_annotation`.

    Returns:
        dict[str, np.ndarray]: The arrays; ``img_shape`` as a tuple of ints.
    """
    from mmengine.fileio import get
    source = source or str(path)
    try:
        raw = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise SignAnnotationError(f'{source}: sign annotation file {path} does not exist')
    try:
        ann = _read_npz(raw)
    except Exception as e:  # zip / npy format errors: name the file
        raise SignAnnotationError(f'{source}: cannot read sign annotation {path}: {e}') from e
    sparse = [k for k in SPARSE_PART_MAP_KEYS if k in ann]
    if sparse and 'part_maps' not in ann:
        ann['part_maps'] = _dense_part_maps({k: ann.pop(k) for k in sparse}, source)
    validate_sign_annotation(ann, source, total_frames, img_shape, allow_nonfinite)
    ann['img_shape'] = tuple(int(v) for v in ann['img_shape'].reshape(-1))
    return ann


def load_annotation_list(path: str) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Read an annotation list file (JSON, ``{"metainfo": {...}, "data_list": [...]}``).

    Args:
        path (str): The list file.

    Returns:
        tuple[dict, list[dict]]: ``metainfo`` and the raw ``data_list`` entries.
    """
    from mmengine.fileio import load
    try:
        obj = load(path, file_format='json')
    except FileNotFoundError:
        raise SignAnnotationError(f'annotation list {path} does not exist')
    except json.JSONDecodeError as e:
        raise SignAnnotationError(f'annotation list {path} is not valid JSON: {e}') from e
    if not isinstance(obj, dict) or not isinstance(obj.get('data_list'), list):
        raise SignAnnotationError(f'annotation list {path} must be a JSON object with a '
                                  '"data_list" list (and a "metainfo" object)')
    metainfo = obj.get('metainfo', {})
    if not isinstance(metainfo, dict):
        raise SignAnnotationError(f'annotation list {path}: "metainfo" must be an object')
    groups = metainfo.get('part_groups')
    if groups is not None and tuple(groups) != PART_GROUPS:
        raise SignAnnotationError(f'annotation list {path}: part_groups {groups} differ from '
                                  f'the expected {list(PART_GROUPS)}')
    return metainfo, obj['data_list']


def dump_annotation_list(path: str,
                         data_list: Sequence[Mapping[str, Any]],
                         metainfo: Optional[Mapping[str, Any]] = None) -> str:
    """Write an annotation list file; the format's own metainfo keys are filled in.

    Args:
        path (str): Output JSON file.
        data_list (Sequence[Mapping]): Entries with at least ``filename``, ``label``,
            ``sign_ann`` (and preferably ``total_frames``, ``img_shape``).
        metainfo (Mapping, optional): Extra metainfo (e.g. ``classes``).

    Returns:
        str: ``path``.
    """
    meta = dict(metainfo or {})
    meta.update(
        format='signmae_mm.sign_annotation',
        format_version=FORMAT_VERSION,
        keypoint_layout=KEYPOINT_LAYOUT,
        part_groups=list(PART_GROUPS))
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.json', dir=folder)
    with os.fdopen(fd, 'w') as f:
        json.dump(dict(metainfo=meta, data_list=[dict(d) for d in data_list]), f, indent=1)
    os.replace(tmp, path)
    return path
