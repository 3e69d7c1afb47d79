"""Token grids and masks of a video ViT: patchify, mask checks, gathers, running-cell masks.

Token order everywhere is (t, h, w) row-major, i.e. the order of
``Conv3d(kernel=stride=(tubelet, patch, patch))(video).flatten(2)``; a mask is a ``(B, N)``
bool tensor in that order with True = masked (hidden from the encoder).
"""
import math
from typing import Sequence, Tuple

import torch
from torch import Tensor

__all__ = [
    'check_token_mask', 'patchify', 'running_cell_patterns', 'select_tokens', 'token_grid'
]


def token_grid(video_size: Sequence[int], tubelet_size: int,
               patch_size: int) -> Tuple[int, int, int]:
    """The token grid ``(T // tubelet, H // patch, W // patch)`` of a clip.

    Args:
        video_size (Sequence[int]): ``(T, H, W)``.
        tubelet_size (int): Frames per token.
        patch_size (int): Pixels per token side.

    Returns:
        tuple[int, int, int]: ``(t, h, w)`` token counts.

    Raises:
        ValueError: If a size is not a multiple of its token size.
    """
    t, h, w = video_size
    if t % tubelet_size or h % patch_size or w % patch_size:
        raise ValueError(f'clip size (T, H, W) = {tuple(video_size)} must be a multiple of '
                         f'(tubelet, patch, patch) = ({tubelet_size}, {patch_size}, {patch_size})')
    return t // tubelet_size, h // patch_size, w // patch_size


def patchify(video: Tensor, tubelet_size: int, patch_size: int,
             channel_last: bool = True) -> Tensor:
    """Cut a clip into its tubelets, one row per token.

    Args:
        video (Tensor): ``(B, C, T, H, W)``.
        tubelet_size (int): Frames per token.
        patch_size (int): Pixels per token side.
        channel_last (bool): True gives VideoMAE's target layout ``(pt, ph, pw, C)`` per token
            (what its decoder head predicts); False gives ``(C, pt, ph, pw)``, the layout of a
            flattened ``Conv3d`` weight, so ``patchify(x) @ W.flatten(1).T`` equals the patch
            embedding. Defaults to True.

    Returns:
        Tensor: ``(B, N, C * tubelet * patch * patch)`` with N in (t, h, w) row-major order.
    """
    b, c, t, h, w = video.shape
    gt, gh, gw = token_grid((t, h, w), tubelet_size, patch_size)
    x = video.reshape(b, c, gt, tubelet_size, gh, patch_size, gw, patch_size)
    if channel_last:
        x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)
    else:
        x = x.permute(0, 2, 4, 6, 1, 3, 5, 7)
    return x.reshape(b, gt * gh * gw, -1)


def check_token_mask(mask: Tensor, batch_size: int, num_tokens: int, name: str = 'mask') -> int:
    """Check a ``(B, N)`` bool token mask and return its number of True entries per row.

    The one check of a mask, where it enters a model (``VideoMAEPretrainer.check_masks``, or
    ``MaskedVisionTransformer`` called on its own); the modules after it take the count it
    returns. The encoder runs on the visible tokens of the whole batch at once, so every row
    must hold the same number of True entries.

    Args:
        mask (Tensor): ``(B, N)`` bool.
        batch_size (int): Expected B.
        num_tokens (int): Expected N.
        name (str): Name used in error messages. Defaults to ``'mask'``.

    Returns:
        int: True entries per row.

    Raises:
        TypeError: If ``mask`` is not a bool tensor.
        ValueError: On a wrong shape or unequal counts per row.
    """
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        raise TypeError(f'{name} must be a torch.bool tensor of shape (B, N), got '
                        f'{type(mask).__name__} {getattr(mask, "dtype", "")}')
    if tuple(mask.shape) != (batch_size, num_tokens):
        raise ValueError(f'{name} has shape {tuple(mask.shape)}, expected (B, N) = '
                         f'({batch_size}, {num_tokens}) with N = (T // tubelet) * (H // patch) '
                         '* (W // patch) of the input clip')
    counts = mask.sum(dim=1)
    # One device sync for both bounds.
    low, high = torch.stack([counts.min(), counts.max()]).tolist()
    if low != high:
        raise ValueError(f'every clip of a batch must have the same number of True tokens in '
                         f'{name}, got between {low} and {high}')
    return int(low)


def select_tokens(x: Tensor, select: Tensor, count: int) -> Tensor:
    """Gather the selected tokens of each row, in their original order.

    Args:
        x (Tensor): ``(B, N, C)``, or ``(1, N, C)`` (broadcast over the batch, e.g. position
            embeddings).
        select (Tensor): ``(B, N)`` bool.
        count (int): True entries per row of ``select`` (see :func:`check_token_mask`).

    Returns:
        Tensor: ``(B, count, C)``.
    """
    batch_size = select.shape[0]
    # A stable descending sort brings the selected positions first in their original order;
    # unlike x[select], this needs no device sync to learn the output size.
    index = torch.argsort(select.to(torch.int8), dim=1, descending=True, stable=True)[:, :count]
    x = x.expand(batch_size, -1, -1)
    return torch.gather(x, 1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def running_cell_patterns(grid: Sequence[int], keep_ratio: float = 0.5,
                          device=None) -> Tensor:
    """VideoMAE V2's running-cell decoder masks, one per phase of the cell.

    Each 2x2 cell of the spatial grid keeps ``round(4 * keep_ratio)`` of its 4 tokens; the kept
    positions run round the cell (clockwise) by one step per time slot, so over 4 slots every
    position is kept equally often. Grids with an odd side are covered by cropped cells.

    Args:
        grid (Sequence[int]): Token grid ``(t, h, w)``.
        keep_ratio (float): Fraction of each cell kept: 0.25, 0.5 or 0.75. Defaults to 0.5.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: ``(4, N)`` bool, True = the decoder keeps (reconstructs) the token; row ``o`` is
        the pattern started at phase ``o``.

    Raises:
        ValueError: If ``keep_ratio`` does not keep 1, 2 or 3 tokens of 4.
    """
    keep = round(4 * keep_ratio)
    if not 0 < keep < 4 or abs(keep - 4 * keep_ratio) > 1e-6:
        raise ValueError(f'keep_ratio must be 0.25, 0.5 or 0.75 (tokens kept per 2x2 cell), '
                         f'got {keep_ratio}')
    t, h, w = grid
    # Position of each cell member on the ring (0,0) -> (0,1) -> (1,1) -> (1,0).
    ring = torch.tensor([[0, 1], [3, 2]], device=device)
    ring_map = ring.repeat(math.ceil(h / 2), math.ceil(w / 2))[:h, :w]
    slots = torch.arange(t, device=device)
    patterns = []
    for phase in range(4):
        start = (slots + phase) % 4
        patterns.append((((ring_map[None] - start[:, None, None]) % 4) < keep).flatten())
    return torch.stack(patterns)
