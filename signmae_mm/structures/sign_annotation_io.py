"""Writing and reading one video's sign annotation ``.npz`` (the format is
:mod:`signmae_mm.structures.sign_annotation_format`)."""
import io
import re
import struct
import zipfile
import zlib
from typing import Dict, Optional, Sequence

import numpy as np

from ..utils import atomic_open
from .part_maps import dense_part_maps, sparse_part_maps
from .sign_annotation_format import (FORMAT_VERSION, PART_GROUPS, PART_MAP_SCALE,
                                     SPARSE_PART_MAP_KEYS, SignAnnotationError,
                                     check_frame_count, validate_sign_annotation)

__all__ = ['save_sign_annotation', 'load_sign_annotation']


def save_sign_annotation(path: str,
                         keypoints: np.ndarray,
                         keypoint_scores: np.ndarray,
                         person_bboxes: np.ndarray,
                         part_maps: np.ndarray,
                         img_shape: Sequence[int],
                         part_map_source: str = 'unknown') -> str:
    """Validate and write one video's sign annotation as a compressed ``.npz``, atomically.

    The file is written with :func:`~signmae_mm.utils.atomic_open`, so a killed writer never
    leaves a truncated file under ``path``.

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
    ann.update(sparse_part_maps(ann.pop('part_maps')))
    with atomic_open(path, 'wb') as f:
        np.savez_compressed(f, **ann)
    return path


_NPY_HEADER = re.compile(
    r"\{'descr': '([^']+)', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}")
_EOCD = struct.Struct('<IHHHHIIH')  # end of central directory record
_CENTRAL = struct.Struct('<IHHHHHHIIIHHHHHII')  # central directory file header
_LOCAL = struct.Struct('<IHHHHHIIIHH')  # local file header


class _UnexpectedZip(Exception):
    """An archive the direct reader leaves to ``zipfile``."""


def _zip_members(raw: bytes) -> Dict[str, bytes]:
    """The members of an in-memory zip archive as ``np.savez`` writes it, read through the
    central directory with a few struct reads each (``zipfile`` builds objects per member, a
    third of a small annotation's load time). CRCs are checked. Anything else (a comment, zip64
    sizes, encryption, methods other than stored / deflated) raises :class:`_UnexpectedZip`."""
    if len(raw) < _EOCD.size:
        raise _UnexpectedZip
    sig, _, _, _, count, _, offset, comment = _EOCD.unpack_from(raw, len(raw) - _EOCD.size)
    if sig != 0x06054B50 or comment or count == 0xFFFF or offset == 0xFFFFFFFF:
        raise _UnexpectedZip
    members = {}
    for _ in range(count):
        (sig, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len, comment_len, _,
         _, _, local) = _CENTRAL.unpack_from(raw, offset)
        if (sig != 0x02014B50 or flags & 1 or method not in (0, 8)
                or 0xFFFFFFFF in (csize, usize, local)):
            raise _UnexpectedZip
        name = raw[offset + _CENTRAL.size:offset + _CENTRAL.size + name_len].decode('utf-8')
        offset += _CENTRAL.size + name_len + extra_len + comment_len
        lsig, *_, lname_len, lextra_len = _LOCAL.unpack_from(raw, local)
        if lsig != 0x04034B50:
            raise _UnexpectedZip
        start = local + _LOCAL.size + lname_len + lextra_len
        data = raw[start:start + csize]
        if method == 8:
            data = zlib.decompress(data, -15)
        if len(data) != usize or zlib.crc32(data) != crc:
            raise ValueError(f'member {name} is corrupt (size or CRC mismatch)')
        members[name] = data
    return members


def _read_npz(raw: bytes) -> Dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (as ``np.load``, without pickles), faster for many small
    members: the zip read directly (:func:`_zip_members`) and numpy's own header written by
    ``np.save`` parsed directly (``np.load`` evaluates each header with ``ast``); other archives
    and headers go through ``zipfile`` and ``numpy.lib.format``."""
    try:
        members = _zip_members(raw)
    except _UnexpectedZip:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
    out = {}
    for name, data in members.items():
        key = name[:-4] if name.endswith('.npy') else name
        if data[:8] == b'\x93NUMPY\x01\x00':
            size = int.from_bytes(data[8:10], 'little')
            match = _NPY_HEADER.match(data[10:10 + size].decode('latin1'))
            if match:
                dtype = np.dtype(match.group(1))
                if not dtype.hasobject:
                    shape = tuple(int(v) for v in match.group(2).split(',') if v.strip())
                    out[key] = np.frombuffer(bytearray(data), dtype,
                                             offset=10 + size).reshape(shape)
                    continue
        out[key] = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    return out


def load_sign_annotation(path: str,
                         backend_args: Optional[dict] = None,
                         source: Optional[str] = None,
                         total_frames: Optional[int] = None,
                         img_shape: Optional[Sequence[int]] = None,
                         allow_nonfinite: bool = False,
                         frames: Optional[Sequence[int]] = None) -> Dict[str, np.ndarray]:
    """Read and validate one video's sign annotation (format 1 or 2).

    Args:
        path (str): The ``.npz`` file (any mmengine file backend).
        backend_args (dict, optional): mmengine file backend arguments.
        source (str, optional): What to name in errors. Defaults to ``path``.
        total_frames (int, optional): Expected frame count (the video's).
        img_shape (Sequence[int], optional): Expected ``(height, width)`` (the video's).
        allow_nonfinite (bool): See :func:`validate_sign_annotation`.
        frames (Sequence[int], optional): Return only these frames (0-based, repeats allowed,
            in this order), as a clip's sampled frames: the per-frame arrays then have
            ``len(frames)`` rows, and only those frames are made dense and checked for
            non-finite values (a clip reads 16 of a video's frames). None (default): all.

    Returns:
        dict[str, np.ndarray]: The arrays, ``part_maps`` dense ``(T, P, Gh, Gw)`` uint8;
        ``img_shape`` as a tuple of ints.

    Raises:
        SignAnnotationError: The file is missing, unreadable or invalid, or ``frames`` lie
            outside it.
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
    if frames is not None:
        ann = _select_frames(ann, np.asarray(frames).reshape(-1), source, total_frames)
        total_frames = None  # checked against the whole file above
    sparse = [k for k in SPARSE_PART_MAP_KEYS if k in ann]
    if sparse and 'part_maps' not in ann:
        ann['part_maps'] = dense_part_maps({k: ann.pop(k) for k in sparse}, source)
    validate_sign_annotation(ann, source, total_frames, img_shape, allow_nonfinite)
    ann['img_shape'] = tuple(int(v) for v in ann['img_shape'].reshape(-1))
    return ann


def _select_frames(ann: Dict[str, np.ndarray], frames: np.ndarray, source: str,
                   total_frames: Optional[int]) -> Dict[str, np.ndarray]:
    """``ann`` restricted to ``frames``, after the checks that need all of its frames."""
    kps = ann.get('keypoints')
    if kps is None or kps.ndim != 3:
        return ann  # the validation names what is wrong
    num = kps.shape[0]
    counts = {key: ann[key].shape[:1] for key in ('keypoint_scores', 'person_bboxes', 'part_maps')
              if key in ann}
    if 'part_maps_shape' in ann:
        counts['part_maps'] = tuple(np.asarray(ann['part_maps_shape']).reshape(-1)[:1])
    for key, count in counts.items():
        if count != (num, ):
            raise SignAnnotationError(f'{source}: {key} has {count[0] if count else 0} frames, '
                                      f'the keypoints {num}')
    check_frame_count(source, num, total_frames)
    if frames.size == 0 or not np.issubdtype(frames.dtype, np.integer):
        raise SignAnnotationError(f'{source}: frames to read must be integer indices, got '
                                  f'{frames.dtype} {frames.shape}')
    if frames.min() < 0 or frames.max() >= num:
        raise SignAnnotationError(f'{source}: frame indices {frames.min()}..{frames.max()} '
                                  f'outside the annotation\'s {num} frames')
    out = dict(ann)
    for key in ('keypoints', 'keypoint_scores', 'person_bboxes'):
        if key in out:
            out[key] = out[key][frames]
    if 'part_maps' in out:
        out['part_maps'] = np.asarray(out['part_maps'])[frames]
    elif all(k in out for k in SPARSE_PART_MAP_KEYS):
        out['part_maps'] = dense_part_maps({k: out.pop(k) for k in SPARSE_PART_MAP_KEYS},
                                           source, frames)
    return out
