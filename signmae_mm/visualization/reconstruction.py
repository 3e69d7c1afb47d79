"""What a pretrained masked autoencoder makes of a clip: its reconstruction, loss and floor.

:func:`reconstruct` runs a :class:`~signmae_mm.models.VideoMAEPretrainer` in ``predict`` mode on
one packed sample (as a pretraining dataset returns it, token mask included) and puts the clip
back together: visible tubelets from the input, masked ones from the decoder.
:func:`draw_reconstruction` draws the original, the masked input and the reconstruction, one
column per time slot, with the clip's loss and its mean-predictor floor.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch import Tensor

from ..models.utils.tokens import patchify, token_grid

__all__ = [
    'BANNER_HEIGHT', 'HEADER_HEIGHT', 'LABEL_WIDTH', 'MASK_GREY', 'ROW_NAMES',
    'draw_reconstruction', 'figure_size', 'reconstruct', 'stack_images', 'unpatchify'
]

#: Rows of the figure, top to bottom.
ROW_NAMES: Tuple[str, ...] = ('original', 'masked input', 'reconstruction')
#: Height of the text banner (loss, floor, title) above the grid, in pixels.
BANNER_HEIGHT = 44
#: Height of the column labels (time slot and frame) between the banner and the grid.
HEADER_HEIGHT = 20
#: Width of the row labels left of the grid.
LABEL_WIDTH = 112
#: Pixel value of the masked tokens in the masked-input row.
MASK_GREY = 128
#: Frames are upscaled (nearest) until their shorter side is at least this (``scale=None``).
MIN_FRAME_SIDE = 128

_WHITE, _BLACK = (255, 255, 255), (0, 0, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def unpatchify(tokens: Tensor, grid: Sequence[int], tubelet_size: int, patch_size: int,
               channels: int) -> Tensor:
    """Inverse of :func:`~signmae_mm.models.utils.patchify` (channel-last token layout).

    Args:
        tokens (Tensor): ``(B, N, tubelet * patch * patch * C)``, rows in (t, h, w) order,
            values laid out ``(pt, ph, pw, C)``.
        grid (Sequence[int]): Token grid ``(t, h, w)``.
        tubelet_size (int): Frames per token.
        patch_size (int): Pixels per token side.
        channels (int): C.

    Returns:
        Tensor: ``(B, C, T, H, W)``.
    """
    b = tokens.shape[0]
    gt, gh, gw = grid
    x = tokens.reshape(b, gt, gh, gw, tubelet_size, patch_size, patch_size, channels)
    x = x.permute(0, 7, 1, 4, 2, 5, 3, 6)  # (B, C, gt, pt, gh, ph, gw, pw)
    return x.reshape(b, channels, gt * tubelet_size, gh * patch_size, gw * patch_size)


def _to_frames(video: Tensor) -> np.ndarray:
    """``(C, T, H, W)`` float pixel values -> ``(T, H, W, C)`` uint8, rounded and clipped."""
    return video.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 3, 0).cpu().numpy()


@torch.no_grad()
def reconstruct(model: torch.nn.Module, data: dict) -> dict:
    """Reconstruct the masked tubelets of one clip with a pretraining model.

    The sample goes through the model's ``data_preprocessor`` (as in training, without the
    training-time augmentation) and the model's ``predict`` mode, in eval mode (restored
    afterwards). The clip shown is the model's input with the preprocessor's normalisation
    undone: the channel order is the one the model sees, i.e. RGB for mmaction2's decoders
    (``DecordDecode``, ``OpenCVDecode`` and ``PyAVDecode`` all give RGB) unless the
    preprocessor swaps channels (``to_rgb=True``).

    Args:
        model (torch.nn.Module): A :class:`~signmae_mm.models.VideoMAEPretrainer` (its ``head``
            has ``patch_size``, ``tubelet_size`` and :meth:`mean_predictor_loss`).
        data (dict): One packed sample: ``inputs`` ``(1, C, T, H, W)`` and ``data_samples``
            (an ``ActionDataSample`` with its ``mask``), as a pretraining dataset returns it.

    Returns:
        dict: ``clip`` ``(T, H, W, C)`` uint8 (channel order above); ``mask`` ``(N,)`` bool
        (True = masked, tokens in (t, h, w) order); ``grid`` ``(t, h, w)`` token counts;
        ``tubelet_size`` and ``patch_size``; ``reconstruction`` ``(T, H, W, C)`` uint8
        (visible tubelets from ``clip``, masked ones predicted, clipped to 0-255); ``loss``
        (float, the clip's ``loss_rec`` from ``predict``: the MSE of the masked tubelets in
        the head's target space) and ``floor`` (float, the head's
        :meth:`mean_predictor_loss` of the clip, the same loss for predicting each masked
        tubelet by its own per-channel mean).
    """
    was_training = model.training
    model.eval()
    try:
        batch = model.data_preprocessor(pseudo_collate([data]), training=False)
        sample = model(**batch, mode='predict')[0]
    finally:
        model.train(was_training)
    inputs = batch['inputs']
    video = inputs.flatten(0, 1) if inputs.ndim == 6 else inputs  # one clip: (1, C, T, H, W)
    if video.shape[0] != 1:
        raise ValueError(f'reconstruct takes one clip, got {video.shape[0]} (num_clips > 1?)')
    masks = batch.get('masks')
    mask = torch.as_tensor(masks[0] if masks is not None else sample.mask).flatten()
    mask = mask.to(device=video.device, dtype=torch.bool)

    head = model.head
    tubelet, patch = head.tubelet_size, head.patch_size
    pixels = model.pixels(video)  # (1, C, T, H, W), normalisation undone
    grid = token_grid(pixels.shape[2:], tubelet, patch)
    tokens = patchify(pixels, tubelet, patch)  # (1, N, D), (pt, ph, pw, C) layout
    tokens[0, mask] = sample.pred_pixels.to(tokens)
    recon = unpatchify(tokens, grid, tubelet, patch, pixels.shape[1])
    floor = head.mean_predictor_loss(pixels, mask[None])
    return dict(
        clip=_to_frames(pixels[0]),
        mask=mask.cpu().numpy(),
        grid=tuple(grid),
        tubelet_size=tubelet,
        patch_size=patch,
        reconstruction=_to_frames(recon[0]),
        loss=float(sample.loss_rec),
        floor=float(floor))


def _auto_scale(h: int, w: int) -> int:
    return max(1, math.ceil(MIN_FRAME_SIDE / max(1, min(h, w))))


def figure_size(result: dict, scale: Optional[int] = None) -> Tuple[int, int]:
    """``(height, width)`` of :func:`draw_reconstruction`'s image for ``result``.

    Args:
        result (dict): Output of :func:`reconstruct`.
        scale (int, optional): As in :func:`draw_reconstruction`.

    Returns:
        tuple[int, int]: Height and width in pixels.
    """
    h, w = result['clip'].shape[1:3]
    scale = scale or _auto_scale(h, w)
    slots = result['grid'][0]
    return (BANNER_HEIGHT + HEADER_HEIGHT + len(ROW_NAMES) * h * scale,
            LABEL_WIDTH + slots * w * scale)


def _put(image: np.ndarray, text: str, org: Tuple[int, int], size: float = 0.45) -> None:
    """Write ``text`` at ``org``, shrunk to fit the image's width (narrow figures: few slots)."""
    width = cv2.getTextSize(text, _FONT, size, 1)[0][0]
    room = image.shape[1] - org[0] - 2
    if width > room > 0:
        size *= room / width
    cv2.putText(image, text, org, _FONT, size, _BLACK, 1, cv2.LINE_AA)


def draw_reconstruction(result: dict, scale: Optional[int] = None, title: str = '') -> np.ndarray:
    """Draw original, masked input and reconstruction, one column per time slot.

    Each column shows the first frame of one tubelet time slot. In the masked-input row the
    masked tokens are flat grey (:data:`MASK_GREY`: the encoder does not see them); the
    reconstruction row is ``result['reconstruction']`` (visible tokens copied, masked ones
    predicted). The banner holds ``title``, the loss, the mean-predictor floor and the mask's
    size (and ``mask_type`` when ``result`` has one).

    Args:
        result (dict): Output of :func:`reconstruct`.
        scale (int, optional): Nearest-neighbour upscaling of the frames. None picks the
            smallest that makes the shorter side at least :data:`MIN_FRAME_SIDE` (2 for 64x64
            clips). Defaults to None.
        title (str): First banner line, e.g. the video's name. Defaults to ``''``.

    Returns:
        np.ndarray: ``(H', W', C)`` uint8 image in the clip's channel order, of
        :func:`figure_size`: ``BANNER_HEIGHT + HEADER_HEIGHT + 3 * H * scale`` by
        ``LABEL_WIDTH + t * W * scale`` for ``t`` time slots.
    """
    clip, recon = result['clip'], result['reconstruction']
    t, h, w = clip.shape[:3]
    gt, gh, gw = result['grid']
    tubelet, patch = result['tubelet_size'], result['patch_size']
    scale = scale or _auto_scale(h, w)
    first = np.arange(gt) * tubelet  # first frame of each time slot

    # Token mask -> pixel mask of the (t, h, w) token area (frames beyond it stay visible).
    token_mask = result['mask'].reshape(gt, gh, gw)
    pixel_mask = np.zeros((gt, h, w), bool)
    pixel_mask[:, :gh * patch, :gw * patch] = token_mask.repeat(patch, 1).repeat(patch, 2)
    masked = clip[first].copy()
    # Flat grey: what the encoder gets of a masked token is nothing at all.
    masked[pixel_mask] = MASK_GREY
    rows = [clip[first], masked, recon[first]]

    height, width = figure_size(result, scale)
    image = np.full((height, width, clip.shape[-1]), 255, np.uint8)
    top = BANNER_HEIGHT + HEADER_HEIGHT
    for r, (name, frames) in enumerate(zip(ROW_NAMES, rows)):
        y = top + r * h * scale
        _put(image, name, (6, y + h * scale // 2 + 5))
        for c, frame in enumerate(frames):
            x = LABEL_WIDTH + c * w * scale
            image[y:y + h * scale, x:x + w * scale] = cv2.resize(
                np.ascontiguousarray(frame), (w * scale, h * scale),
                interpolation=cv2.INTER_NEAREST).reshape(h * scale, w * scale, -1)
    for c, frame_index in enumerate(first):
        _put(image, f't{c} (f{frame_index})', (LABEL_WIDTH + c * w * scale + 4,
                                               BANNER_HEIGHT + HEADER_HEIGHT - 6), 0.4)
    mask = result['mask']
    # floor: the loss of predicting each masked tubelet by its mean colour.
    stats = (f"loss_rec {result['loss']:.4f}  floor {result['floor']:.4f}  "
             f'masked {int(mask.sum())}/{mask.size}')
    if result.get('mask_type'):
        stats += f"  {result['mask_type']} mask"
    _put(image, title, (6, 17))
    _put(image, stats, (6, 37))
    return image


def stack_images(images: Sequence[np.ndarray], gap: int = 6) -> np.ndarray:
    """Figures one below the other on white, narrower ones padded on the right.

    Args:
        images (Sequence[np.ndarray]): ``(H_i, W_i, C)`` uint8 figures, same ``C``.
        gap (int): White rows between two figures. Defaults to 6.

    Returns:
        np.ndarray: ``(sum H_i + gaps, max W_i, C)`` uint8.
    """
    if not images:
        raise ValueError('stack_images needs at least one image')
    width = max(image.shape[1] for image in images)
    channels = images[0].shape[2]
    rows = []
    for i, image in enumerate(images):
        if i:
            rows.append(np.full((gap, width, channels), 255, np.uint8))
        pad = np.full((image.shape[0], width - image.shape[1], channels), 255, np.uint8)
        rows.append(np.concatenate([image, pad], 1))
    return np.concatenate(rows, 0)
