"""Re-encode a dataset's videos so that training clips decode fast: same frames, same size.

decord decodes from the previous key frame up to the last frame a clip needs, so a clip of 16
frames x interval 4 from inter-coded web video (H.264, VP8, VP9: key frames seconds apart)
decodes some 64 frames: 92 ms per clip on VP8 in ``benchmarks/bench_pipeline.py``, against
12-21 ms on OpenCV's MPEG-4 part 2 (``mp4v``) files, whose key frames come every 12 frames.
Decoding is most of a pretraining clip's cost, so re-encoding once saves it every epoch.

Every frame is kept (read with decord, as the dataset counts them), at the same size and frame
rate, so sign annotations made from the originals stay valid; both are checked on the new file.
The codec is lossy: the PSNR of the new frames against the originals is measured for every
video, and a video below ``min_psnr`` is an error rather than a silently worse dataset.
"""
import os.path as osp
from typing import Callable, Iterable, List, NamedTuple, Optional, Tuple

import numpy as np

from ..structures import dump_annotation_list, load_annotation_list
from ..utils import atomic_path, atomic_write
from .errors import PreprocessError, VideoDecodeError
from .video_reader import VideoFrames

__all__ = [
    'ReencodeError', 'ReencodedVideo', 'reencode_video', 'reencode_videos',
    'reencode_annotation_lists'
]


class ReencodeError(PreprocessError):
    """A video could not be re-encoded faithfully (the message names it and why)."""


class ReencodedVideo(NamedTuple):
    """What :func:`reencode_video` wrote.

    Attributes:
        src (str): The original video.
        dst (str): The re-encoded video.
        num_frames (int): Frames in both.
        img_shape (tuple[int, int]): ``(height, width)`` of both.
        psnr (float): PSNR in dB of all new frames against the originals (inf if identical).
        src_bytes (int): Size of the original file.
        dst_bytes (int): Size of the new file.
    """
    src: str
    dst: str
    num_frames: int
    img_shape: Tuple[int, int]
    psnr: float
    src_bytes: int
    dst_bytes: int


def _psnr(squared_error: float, count: int) -> float:
    mse = squared_error / max(count, 1)
    return float('inf') if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def reencode_video(src: str,
                   dst: str,
                   fourcc: str = 'mp4v',
                   min_psnr: Optional[float] = 30.0,
                   chunk: int = 64) -> ReencodedVideo:
    """Re-encode one video, checked, written all or nothing.

    Args:
        src (str): The original video.
        dst (str): The new file; its extension picks the container (``.mp4`` for ``mp4v``).
        fourcc (str): OpenCV codec code. Defaults to ``'mp4v'``.
        min_psnr (float, optional): Refuse a result whose PSNR against the original is lower
            (dB). None: accept any. Defaults to 30.
        chunk (int): Frames decoded at a time. Defaults to 64.

    Returns:
        ReencodedVideo: The figures of the new file.

    Raises:
        VideoDecodeError: The original cannot be decoded.
        ReencodeError: OpenCV cannot write ``dst``'s format, or the new file has another frame
            count or size, or its PSNR is below ``min_psnr``; ``dst`` is then left untouched.
    """
    import cv2
    source = VideoFrames(src)
    height, width = source.img_shape
    fps = source.fps or 25.0
    with atomic_path(dst) as tmp:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
        if not writer.isOpened():
            raise ReencodeError(f'{src}: OpenCV cannot write {fourcc!r} video to '
                                f'{osp.splitext(dst)[1] or "a file without extension"} ({dst})')
        try:
            for start in range(0, len(source), chunk):
                for frame in source.read(start, min(start + chunk, len(source))):
                    writer.write(np.ascontiguousarray(frame))
        finally:
            writer.release()
        try:
            written = VideoFrames(tmp)
        except VideoDecodeError as e:
            raise ReencodeError(f'{src}: the re-encoded video does not decode ({e})') from e
        if len(written) != len(source) or written.img_shape != source.img_shape:
            raise ReencodeError(
                f'{src}: the re-encoded video has {len(written)} frames of {written.img_shape} '
                f'(h, w), the original {len(source)} of {source.img_shape}; its sign '
                'annotation would not fit')
        squared_error, count = 0.0, 0
        for start in range(0, len(source), chunk):
            stop = min(start + chunk, len(source))
            diff = source.read(start, stop).astype(np.float32) - written.read(start, stop)
            squared_error += float(np.square(diff, dtype=np.float64).sum())
            count += diff.size
        psnr = _psnr(squared_error, count)
        if min_psnr is not None and psnr < min_psnr:
            raise ReencodeError(f'{src}: the re-encoded frames are {psnr:.1f} dB PSNR from the '
                                f'originals, below the floor of {min_psnr:g} dB')
    return ReencodedVideo(str(src), str(dst), len(source), source.img_shape, psnr,
                          osp.getsize(src), osp.getsize(dst))


def reencode_videos(pairs: Iterable[Tuple[str, str]],
                    fourcc: str = 'mp4v',
                    min_psnr: Optional[float] = 30.0,
                    keep_going: bool = False,
                    skip_existing: bool = False,
                    progress: Optional[Callable[[str], None]] = None
                    ) -> Tuple[List[ReencodedVideo], List[Tuple[str, str]]]:
    """Re-encode many videos (see :func:`reencode_video`).

    Args:
        pairs (Iterable[tuple[str, str]]): ``(src, dst)`` paths.
        fourcc (str): OpenCV codec code. Defaults to ``'mp4v'``.
        min_psnr (float, optional): See :func:`reencode_video`. Defaults to 30.
        keep_going (bool): Go on after a video fails and return the failures; False (default)
            raises at the first (the files written so far stay, each complete).
        skip_existing (bool): Leave ``dst`` files that exist (complete, since they are written
            atomically) as they are: resumes an interrupted run. Defaults to False.
        progress (Callable[[str], None], optional): Called with a line per video.

    Returns:
        tuple[list[ReencodedVideo], list[tuple[str, str]]]: The videos written, and
        ``(src, reason)`` of those that failed (only with ``keep_going``).

    Raises:
        PreprocessError: A video failed and ``keep_going`` is False.
    """
    done, failed = [], []
    for src, dst in pairs:
        if skip_existing and osp.isfile(dst):
            continue
        try:
            result = reencode_video(src, dst, fourcc, min_psnr)
        except PreprocessError as e:
            if not keep_going:
                raise
            failed.append((str(src), str(e)))
            if progress:
                progress(f'failed: {e}')
            continue
        done.append(result)
        if progress:
            progress(f'{src} -> {dst}: {result.num_frames} frames, {result.psnr:.1f} dB, '
                     f'{result.src_bytes // 1024} -> {result.dst_bytes // 1024} kB')
    return done, failed


def reencode_annotation_lists(ann_files: Iterable[str],
                              video_root: str,
                              out_root: str,
                              list_dir: str,
                              fourcc: str = 'mp4v',
                              ext: str = '.mp4',
                              min_psnr: Optional[float] = 30.0,
                              keep_going: bool = False,
                              skip_existing: bool = False,
                              progress: Optional[Callable[[str], None]] = None
                              ) -> Tuple[List[ReencodedVideo], List[Tuple[str, str]], List[str]]:
    """Re-encode the videos of annotation lists and write the lists that name the new files.

    Each entry's ``filename`` under ``video_root`` is written to the same relative path under
    ``out_root`` with the extension ``ext``; the new lists (same names, in ``list_dir``) differ
    from the old only in those file names (their sign annotations stay valid: same frames and
    size). With ``keep_going``, entries of videos that failed are left out of the new lists,
    their count is recorded in the lists' metainfo (``reencode_failed``) and the failures are
    listed in ``list_dir/reencode_failures.txt``.

    Args:
        ann_files (Iterable[str]): Annotation lists (``SignVideoDataset``'s JSON).
        video_root (str): The folder their ``filename`` entries are relative to.
        out_root (str): Where the new videos go.
        list_dir (str): Where the new lists go; must not be a list's own folder.
        fourcc (str): OpenCV codec code. Defaults to ``'mp4v'``.
        ext (str): Extension (container) of the new files. Defaults to ``'.mp4'``.
        min_psnr (float, optional): See :func:`reencode_video`. Defaults to 30.
        keep_going (bool): See :func:`reencode_videos`. Defaults to False.
        skip_existing (bool): See :func:`reencode_videos`. Defaults to False.
        progress (Callable[[str], None], optional): Called with a line per video.

    Returns:
        tuple: The videos written, the ``(src, reason)`` failures, and the new lists' paths.

    Raises:
        ValueError: ``list_dir`` would overwrite an input list, or two videos would be written
            to one file.
        PreprocessError: A video failed and ``keep_going`` is False (no list is written).
    """
    lists = [(str(f), *load_annotation_list(str(f))) for f in ann_files]
    targets = {}
    for path, _, entries in lists:
        if osp.abspath(osp.join(list_dir, osp.basename(path))) == osp.abspath(path):
            raise ValueError(f'{path}: the new list would overwrite it; give another list_dir')
        for entry in entries:
            name = str(entry['filename'])
            new = osp.splitext(name)[0] + ext
            if targets.setdefault(new, name) != name:
                raise ValueError(f'{targets[new]} and {name} would both be written to '
                                 f'{osp.join(out_root, new)}')
    pairs = [(osp.join(video_root, old), osp.join(out_root, new)) for new, old in targets.items()]
    done, failed = reencode_videos(pairs, fourcc, min_psnr, keep_going, skip_existing, progress)
    bad = {src for src, _ in failed}
    written = []
    for path, metainfo, entries in lists:
        kept = [dict(e, filename=osp.splitext(str(e['filename']))[0] + ext) for e in entries
                if osp.join(video_root, str(e['filename'])) not in bad]
        meta = dict(metainfo, reencoded=dict(fourcc=fourcc, min_psnr=min_psnr))
        if len(kept) < len(entries):
            meta['reencode_failed'] = len(entries) - len(kept)
        written.append(dump_annotation_list(osp.join(list_dir, osp.basename(path)), kept, meta))
    if failed:
        atomic_write(''.join(f'{src}\t{why}\n' for src, why in failed),
                     osp.join(list_dir, 'reencode_failures.txt'))
    return done, failed, written
