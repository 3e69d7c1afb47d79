"""What a token mask does to a clip: the part maps and the masked tokens, drawn.

For each time slot of a clip that went through a pipeline up to (not including) ``FormatShape``,
two panels: the augmented frame with the part maps overlaid (hands red, arms blue, face green,
mapped through the clip's crop / resize / flip), and the same frame with the masked tokens
shaded and the token grid drawn. ``tools/visualize_masks.py`` runs a config's own train pipeline
(:mod:`signmae_mm.visualization.config_sample`) and draws it with :func:`draw_masks`.
"""
import os.path as osp
from typing import Any, Dict, List, Tuple

import cv2
import numpy as np

from ..structures import PART_GROUPS

__all__ = ['BANNER_HEIGHT', 'PART_COLOURS', 'draw_masks', 'write_png', 'write_mp4']

#: Height of the text banner above the grid, in pixels.
BANNER_HEIGHT = 24
#: Part group -> overlay colour (RGB).
PART_COLOURS: Dict[str, Tuple[int, int, int]] = {
    'left_hand': (255, 40, 40), 'right_hand': (255, 40, 40),
    'left_lower_arm': (40, 90, 255), 'right_lower_arm': (40, 90, 255),
    'left_upper_arm': (40, 200, 255), 'right_upper_arm': (40, 200, 255),
    'face': (40, 220, 40),
}


def _upscale(frames: np.ndarray, scale: int) -> np.ndarray:
    h, w = frames.shape[1:3]
    return np.stack([cv2.resize(f, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
                     for f in frames])


def draw_masks(results: Dict[str, Any], masker: Any,
               scale: int = 1) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Draw the part-map overlay and the masked tokens of a clip.

    Args:
        results (dict): Results after the mask transform: ``imgs`` RGB ``(T, H, W, 3)``,
            ``mask`` ``(T // tubelet, H // patch_h, W // patch_w)`` (any shape of that size),
            optionally ``sign_part_maps`` and the clip geometry keys.
        masker: The mask transform (its ``tubelet_size`` and ``patch_size``).
        scale (int): Upscaling of the output (nearest). Defaults to 1.

    Returns:
        tuple[np.ndarray, list[np.ndarray]]: The RGB picture, a banner over 2 rows (overlay,
        mask) x one column per time slot, ``(BANNER_HEIGHT + 2 * H * scale, slots * W * scale,
        3)``; and one RGB frame per clip frame (overlay and mask side by side) for a video.
    """
    from ..datasets.transforms import get_clip_geometry, map_part_maps

    imgs = np.asarray(results['imgs'], dtype=np.float32)
    t, h, w = imgs.shape[:3]
    tub, (ph, pw) = masker.tubelet_size, masker.patch_size
    slots, hp, wp = t // tub, h // ph, w // pw
    mask = np.asarray(results['mask']).reshape(slots, hp, wp)
    overlay = imgs.copy()
    if 'sign_part_maps' in results:
        cover = map_part_maps(results['sign_part_maps'], get_clip_geometry(results))  # T,P,H,W
        for p, name in enumerate(PART_GROUPS):
            a = np.clip(cover[:, p], 0, 1)[..., None] * 0.6
            overlay = overlay * (1 - a) + np.asarray(PART_COLOURS[name], np.float32) * a
    # masked tokens: darkened and greyed, like the encoder does not see them
    token_mask = np.repeat(np.repeat(np.repeat(mask, tub, 0), ph, 1), pw, 2)
    shaded = imgs.copy()
    pad = np.zeros((t, h, w), dtype=bool)
    pad[:slots * tub, :hp * ph, :wp * pw] = token_mask
    shaded[pad] = shaded[pad] * 0.25 + 40
    shaded[:, ::ph, :] = shaded[:, ::ph, :] * 0.5 + 128
    shaded[:, :, ::pw] = shaded[:, :, ::pw] * 0.5 + 128
    overlay, shaded = (np.clip(x, 0, 255).astype(np.uint8) for x in (overlay, shaded))
    if scale > 1:
        overlay, shaded = _upscale(overlay, scale), _upscale(shaded, scale)
    first = np.arange(slots) * tub
    grid = np.concatenate([np.concatenate(list(overlay[first]), 1),
                           np.concatenate(list(shaded[first]), 1)], 0)
    banner = np.full((BANNER_HEIGHT, grid.shape[1], 3), 255, np.uint8)
    text = (f"{osp.basename(str(results.get('filename', '')))}  mask={results.get('mask_type')} "
            f"masked={int(mask.sum())}/{mask.size}"
            f"  fallback={results.get('mask_fallback')}  flip={results.get('flip', False)}"
            f"  tokens={results.get('mask_priority_tokens', '')}")
    cv2.putText(banner, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    frames = [np.concatenate([o, s], 1) for o, s in zip(overlay, shaded)]
    return np.concatenate([banner, grid], 0), frames


def write_png(image: np.ndarray, path: str) -> str:
    """Write an RGB image as PNG, atomically.

    Args:
        image (np.ndarray): RGB ``(H, W, 3)`` uint8.
        path (str): Output file.

    Returns:
        str: ``path``.
    """
    from ..utils import atomic_write
    ok, data = cv2.imencode('.png', cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f'cannot encode {path} as PNG')
    atomic_write(data.tobytes(), path)
    return path


def write_mp4(frames: List[np.ndarray], path: str, fps: int = 4) -> str:
    """Write RGB frames as an MP4 (``mp4v``).

    Args:
        frames (list[np.ndarray]): RGB ``(H, W, 3)`` uint8 frames of one size.
        path (str): Output file.
        fps (int): Frames per second. Defaults to 4.

    Returns:
        str: ``path``.
    """
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f'cannot write {path}')
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path
