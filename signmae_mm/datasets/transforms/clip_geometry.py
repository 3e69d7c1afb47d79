"""Where the pixels of the final clip came from: the crop / resize / flip that mmaction2 recorded.

Part maps are stored in the video's own pixel frame. To know which part of the video a pixel (or a
token) of the augmented clip shows, we read what mmaction2's transforms record in ``results``:

* ``crop_quadruple`` ``(x, y, w, h)``: the crop as fractions of the *original* frame. Every
  mmaction2 crop (``RandomCrop``, ``RandomResizedCrop``, ``MultiScaleCrop``, ``CenterCrop``)
  composes it with the previous one, in lazy and non-lazy mode alike, and resizing does not change
  it, so it describes any chain of crops and resizes (``crop_bbox`` does not: each crop overwrites
  it with a box in the coordinates of the image it received, possibly already resized).
* ``img_shape``: the final ``(height, width)``.
* ``flip`` / ``flip_direction`` (``Flip``; also in ``results['lazy']`` in lazy mode).

Limits (same as mmaction2's own bookkeeping): ``Flip`` must come after the crops (mmaction2
documents this for ``crop_quadruple``; in lazy mode it raises otherwise); multi-crop test
transforms (``ThreeCrop``, ``TenCrop``) and geometric transforms that record nothing
(``ImgAug``, ``TorchVisionWrapper``, ...) are not supported. Lazy mode works before and after
``Fuse``.

The geometry itself and the cell overlaps it implies live in :mod:`signmae_mm.ops.clip_geometry`
(the hand-arm algorithm uses them); their names stay importable from here.
"""
import numpy as np

from ...ops.clip_geometry import (ClipGeometry, cell_overlap_matrices, cell_overlaps,
                                  map_part_maps)

__all__ = ['ClipGeometry', 'get_clip_geometry', 'cell_overlaps', 'cell_overlap_matrices',
           'map_part_maps']


def get_clip_geometry(results: dict) -> ClipGeometry:
    """Read the geometry recorded by mmaction2's spatial transforms.

    Args:
        results (dict): The pipeline's results after the spatial transforms.

    Returns:
        ClipGeometry: The mapping from the final frame to the original frame.
    """
    video = results.get('filename', '<unknown video>')
    if 'img_shape' not in results:
        raise KeyError(f'{video}: results have no "img_shape"; put the mask after the video '
                       'decoding and the spatial transforms')
    crop_bbox = results.get('crop_bbox')
    if crop_bbox is not None and np.asarray(crop_bbox).ndim > 1:
        raise ValueError(f'{video}: multi-crop transforms (ThreeCrop / TenCrop) are not '
                         'supported with token masks: one clip, one crop')
    quad = results.get('crop_quadruple')
    quad = (0.0, 0.0, 1.0, 1.0) if quad is None else tuple(float(v) for v in quad)
    lazy = results.get('lazy')
    if lazy is not None:
        flip, direction = bool(lazy.get('flip', False)), lazy.get('flip_direction')
    else:
        flip, direction = bool(results.get('flip', False)), results.get('flip_direction')
    if flip and direction not in ('horizontal', 'vertical'):
        raise ValueError(f'{video}: unknown flip_direction {direction!r}')
    h, w = (int(v) for v in results['img_shape'][:2])
    return ClipGeometry(quad, (h, w), flip and direction == 'horizontal',
                        flip and direction == 'vertical')
