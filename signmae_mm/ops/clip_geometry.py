"""The geometry of an augmented clip and the part-map cells its pixels and tokens cover.

Part maps are stored on a grid over the video's own frame; a clip is a crop of that frame,
resized and maybe flipped (:class:`ClipGeometry`). :func:`cell_overlap_matrices` gives how much
of each grid cell falls into each row / column of the clip's token grid, and
:func:`map_part_maps` resamples part maps into the clip's frame. Reading the geometry that
mmaction2's transforms record is the transforms' job
(:func:`signmae_mm.datasets.transforms.get_clip_geometry`).
"""
from functools import lru_cache
from typing import NamedTuple, Optional, Tuple

import numpy as np

__all__ = ['ClipGeometry', 'cell_overlaps', 'cell_overlap_matrices', 'map_part_maps']


class ClipGeometry(NamedTuple):
    """How the final clip's frame maps to the original video frame.

    Attributes:
        crop (tuple[float, float, float, float]): ``(x, y, w, h)`` of the crop as fractions of the
            original frame.
        out_hw (tuple[int, int]): Final ``(height, width)`` in pixels.
        flip_h (bool): Horizontally flipped after the crop.
        flip_v (bool): Vertically flipped after the crop.
    """
    crop: Tuple[float, float, float, float]
    out_hw: Tuple[int, int]
    flip_h: bool
    flip_v: bool


def cell_overlaps(edges: np.ndarray, grid: int) -> np.ndarray:
    """Fraction of each interval between consecutive ``edges`` that lies in each grid cell.

    Args:
        edges (np.ndarray): ``(n + 1,)`` interval edges, in units of grid cells (cell ``j``
            spans ``[j, j + 1)``); increasing, or decreasing (then interval ``i`` is
            ``[edges[i + 1], edges[i])``).
        grid (int): Number of grid cells ``G``.

    Returns:
        np.ndarray: ``(n, G)`` float32; row ``i`` sums to the fraction of interval ``i`` that lies
        on the grid (1 inside the frame).
    """
    edges = np.asarray(edges, dtype=np.float32)
    d = np.diff(_edge_cell_lengths(edges, _cells(grid)), axis=0)
    d /= np.diff(edges)[:, None]
    return d


@lru_cache(maxsize=64)
def _cells(grid: int) -> np.ndarray:
    out = np.arange(grid, dtype=np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def _pixel_edges(size: int, cell: int) -> np.ndarray:
    out = np.arange(size // cell + 1, dtype=np.float32) * cell
    out.flags.writeable = False
    return out


def _edge_cell_lengths(edges: np.ndarray, cells: np.ndarray) -> np.ndarray:
    # F[k, j] = length of [j, edges[k]) inside cell j = clip(edges[k] - j, 0, 1). Consecutive
    # intervals share their edges, so the overlaps are the differences of F along k.
    return np.minimum(np.maximum(edges[:, None] - cells, 0), 1)


def cell_overlap_matrices(geometry: ClipGeometry, grid_hw: Tuple[int, int],
                          cell_hw: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Matrices that pool a grid over the original frame onto cells of the final frame.

    The final frame is cut into ``Hc = H // ch`` x ``Wc = W // cw`` cells of ``ch x cw`` pixels
    (the remainder, as a strided convolution drops it, is ignored). For a map ``M`` ``(Gh, Gw)``
    of per-grid-cell fractions, ``Ay @ M @ Ax.T`` is the covered fraction of each final cell,
    assuming coverage is uniform inside a grid cell.

    Args:
        geometry (ClipGeometry): See :func:`get_clip_geometry`.
        grid_hw (tuple[int, int]): ``(Gh, Gw)`` of the part-map grid.
        cell_hw (tuple[int, int]): ``(ch, cw)`` pixel size of a final cell (the patch size).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``Ay`` ``(Hc, Gh)`` and ``Ax`` ``(Wc, Gw)`` float32.
    """
    (qx, qy, qw, qh), (h, w) = geometry.crop, geometry.out_hw
    (gh, gw), (ch, cw) = grid_hw, cell_hw
    # final pixel x -> fraction of the crop -> fraction of the original frame -> grid units,
    # x * scale + offset; a flip maps pixel x to size - x first (cell i spans the mirror)
    sy, sx = qh * gh / h, qw * gw / w
    oy, ox = qy * gh, qx * gw
    if geometry.flip_v:
        sy, oy = -sy, oy + h * sy
    if geometry.flip_h:
        sx, ox = -sx, ox + w * sx
    ey, ex = _pixel_edges(h, ch), _pixel_edges(w, cw)
    # both axes in one pass (columns beyond an axis' own grid are cut off below)
    f = _edge_cell_lengths(np.concatenate([ey * sy + oy, ex * sx + ox]), _cells(max(gh, gw)))
    d = f[1:] - f[:-1]
    ny = ey.size - 1
    ay = d[:ny, :gh]
    ay /= sy * ch
    ax = d[ny + 1:, :gw]
    ax /= sx * cw
    return ay, ax


def map_part_maps(maps: np.ndarray,
                  geometry: ClipGeometry,
                  cell_hw: Tuple[int, int] = (1, 1),
                  scale: Optional[float] = 255.0) -> np.ndarray:
    """Resample part maps from the original frame's grid onto cells of the final frame.

    Args:
        maps (np.ndarray): ``(..., Gh, Gw)`` part maps (uint8, 255 = covered, by default).
        geometry (ClipGeometry): See :func:`get_clip_geometry`.
        cell_hw (tuple[int, int]): Cell size in final pixels; ``(1, 1)`` gives per-pixel
            coverage, ``(patch, patch)`` per-token coverage. Defaults to ``(1, 1)``.
        scale (float, optional): Value of a fully covered cell in ``maps``. Defaults to 255.

    Returns:
        np.ndarray: ``(..., H // ch, W // cw)`` float32 covered fractions.
    """
    maps = np.asarray(maps)
    ay, ax = cell_overlap_matrices(geometry, maps.shape[-2:], cell_hw)
    out = ay @ maps.astype(np.float32) @ ax.T
    if scale:
        out /= scale
    return out
