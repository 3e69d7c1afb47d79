"""Synthetic mp4 clips written with ``cv2.VideoWriter`` that decord and mmaction2 read."""
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = ['make_video_dataset', 'moving_square_frames', 'write_video']

# BGR colours, one per class of the smoke data set.
_PALETTE = ((0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0))


def write_video(path: Union[str, Path], frames: np.ndarray, fps: float = 25.0) -> Path:
    """Write frames to an mp4 file with the ``mp4v`` fourcc.

    decord 0.6.0 misreads mp4v files of some small widths (16, 24, 48 and 72 pixels gave frames
    of 4 or 6 channels here); 32, 64, 96, 112 and 224 read back correctly.

    Args:
        path (str | Path): Output file; parent folders are created.
        frames (np.ndarray): (T, H, W, 3) uint8 BGR frames.
        fps (float): Frame rate. Defaults to 25.

    Returns:
        Path: The written file.
    """
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'{path}: frames must be (T, H, W, 3) uint8, got '
                         f'{frames.shape} {frames.dtype}')
    _, h, w, _ = frames.shape
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f'cv2.VideoWriter cannot open {path}')
    for frame in frames:
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    return path


def moving_square_frames(num_frames: int = 16,
                         size: Union[int, Tuple[int, int]] = 64,
                         square: int = 12,
                         seed: int = 0,
                         colour: Sequence[int] = (0, 0, 255),
                         direction: str = 'right') -> np.ndarray:
    """Frames of a coloured square crossing a noisy background.

    Args:
        num_frames (int): Number of frames T.
        size (int | tuple[int, int]): Frame size, ``S`` or ``(H, W)``.
        square (int): Side of the square in pixels.
        seed (int): Seed of the background noise.
        colour (Sequence[int]): BGR colour of the square.
        direction (str): ``'right'`` (left to right) or ``'down'`` (top to bottom).

    Returns:
        np.ndarray: (T, H, W, 3) uint8 BGR frames.
    """
    h, w = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 60, size=(num_frames, h, w, 3), dtype=np.uint8)
    for t in range(num_frames):
        progress = t / max(num_frames - 1, 1)
        if direction == 'right':
            x, y = int(progress * (w - square)), h // 2 - square // 2
        elif direction == 'down':
            x, y = w // 2 - square // 2, int(progress * (h - square))
        else:
            raise ValueError(f'direction must be "right" or "down", got {direction!r}')
        frames[t, y:y + square, x:x + square] = colour
    return frames


def make_video_dataset(root: Union[str, Path],
                       num_classes: int = 2,
                       videos_per_class: int = 4,
                       num_frames: int = 16,
                       size: int = 64,
                       seed: int = 0) -> Dict[str, Path]:
    """Write a tiny labelled video set in mmaction2's ``VideoDataset`` layout.

    Class ``c`` is a square of colour ``c`` moving right (even ``c``) or down (odd ``c``).
    Writes ``root/videos/*.mp4`` and the list files ``root/train.txt`` / ``root/val.txt``
    (``<file> <label>`` lines; every second video of each class goes to val).

    Args:
        root (str | Path): Output folder.
        num_classes (int): Number of classes (at most 6).
        videos_per_class (int): Videos per class.
        num_frames (int): Frames per video.
        size (int): Frame side in pixels.
        seed (int): Base seed; the output is deterministic from it.

    Returns:
        dict[str, Path]: ``data_prefix`` (the video folder), ``train`` and ``val`` list files.
    """
    if not 1 <= num_classes <= len(_PALETTE):
        raise ValueError(f'num_classes must be in [1, {len(_PALETTE)}], got {num_classes}')
    root = Path(root)
    lines = {'train': [], 'val': []}
    for label in range(num_classes):
        for i in range(videos_per_class):
            name = f'class{label}_{i:03d}.mp4'
            frames = moving_square_frames(
                num_frames, size, square=max(size // 5, 4), seed=seed * 1000 + label * 100 + i,
                colour=_PALETTE[label], direction='right' if label % 2 == 0 else 'down')
            write_video(root / 'videos' / name, frames)
            lines['val' if i % 2 else 'train'].append(f'{name} {label}')
    paths = {'data_prefix': root / 'videos'}
    for split, split_lines in lines.items():
        paths[split] = root / f'{split}.txt'
        paths[split].write_text('\n'.join(split_lines) + '\n')
    return paths
