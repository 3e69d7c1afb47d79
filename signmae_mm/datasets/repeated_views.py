"""Decode once, serve many views: repeated augmentation for pretraining.

In VideoMAE pretraining the model sees 10 % of the tokens and the input pipeline is what limits a
GPU; most of a clip's cost is opening the video and decoding its frames. VideoMAE V2
(``num_sample``) and mmaction2 (``RepeatAugDataset``) decode a video once and draw several
augmented views from it. :func:`prepare_repeated_views` does that for any mmaction2 pipeline:
the transforms up to the decoder run once (open, sample the frames, load the sign annotation,
check the hand movement, decode), then the rest runs once per view (crop, resize, flip, mask,
format, pack), so that each view gets its own crop, flip and mask, and the hand-arm mask of each
view is computed from its own crop. Views get their own copy of the decoded frames only when a
transform that may write into them in place (mmaction2's ``Flip``) comes before the frames are
replaced (:func:`views_need_frame_copies`).

The views of one video share its frames (VideoMAE V2's convention, and mmaction2's
``sample_once=True``). The draws of all views come in turn from the sample's generator, so a
sample seeded by :class:`~signmae_mm.datasets.SeededSampler` gives the same views in a resumed
run. Batches of views need :func:`flatten_views_collate` as the dataloader's ``collate_fn``.
"""
import copy
from typing import Any, Callable, List, Optional, Sequence

import numpy as np
from mmengine.dataset import COLLATE_FUNCTIONS, pseudo_collate

from .transforms import is_token_mask

__all__ = [
    'decode_step', 'flatten_views_collate', 'prepare_repeated_views', 'views_need_frame_copies'
]


def _name(transform: Callable) -> str:
    return type(transform).__name__


def decode_step(transforms: Sequence[Callable]) -> int:
    """The position of the pipeline's decoder (a transform whose class name ends in
    ``Decode``: ``DecordDecode``, ``PyAVDecode``, ``OpenCVDecode``, ...).

    Raises:
        ValueError: The pipeline decodes nothing, so views cannot share a decoded clip.
    """
    for i, transform in enumerate(transforms):
        if _name(transform).endswith('Decode'):
            return i
    raise ValueError('repeated views need a pipeline with a decoder transform (DecordDecode, '
                     f'...) to share; this one has {[_name(t) for t in transforms]}')


# Transforms known to leave the frames they get untouched (crops return slices that alias them;
# masks and checks only read), and ones that replace the frames with new arrays. A view needs a
# copy of the shared frames only if a transform outside both lists (mmaction2's Flip and
# ColorJitter write in place; an unknown transform might) can reach them before they are replaced.
# and every token mask (transforms.is_token_mask): masks read the clip's geometry, not its pixels
_READS_FRAMES_ONLY = frozenset({
    'RandomCrop', 'RandomResizedCrop', 'MultiScaleCrop', 'CenterCrop', 'HandMovementCheck',
    'CheckSignKeypoints'})
_REPLACES_FRAMES = frozenset({'Resize', 'FormatShape'})


def views_need_frame_copies(transforms: Sequence[Callable]) -> bool:
    """Whether the transforms after the decoder may write into the frames the views share.

    Args:
        transforms (Sequence[Callable]): The transforms that run once per view, in order.

    Returns:
        bool: False when every transform up to the first one that replaces the frames (a
        non-lazy ``Resize``, ``FormatShape``) only reads them; True otherwise.
    """
    for transform in transforms:
        name = _name(transform)
        if name in _REPLACES_FRAMES and not getattr(transform, 'lazy', False):
            return False
        if name not in _READS_FRAMES_ONLY and not is_token_mask(transform):
            return True
    return False


def _copy_frames(imgs: Any) -> Any:
    if isinstance(imgs, np.ndarray):
        return imgs.copy()
    return [img.copy() for img in imgs]


def prepare_repeated_views(transforms: Sequence[Callable], info: dict, num_views: int,
                           decode_index: Optional[int] = None) -> Optional[List[dict]]:
    """Run a pipeline on one sample for ``num_views`` views that share one decoding.

    Args:
        transforms (Sequence[Callable]): The pipeline's transforms (``Compose.transforms``).
        info (dict): The sample's info (from the dataset's ``get_data_info``).
        num_views (int): Views to return (>= 1).
        decode_index (int, optional): :func:`decode_step` of ``transforms``, when the caller
            found it already (a dataset does once). None: found here.

    Returns:
        list[dict] | None: One packed result per view; None when a transform dropped the sample
        (as ``Compose`` returns None).
    """
    if num_views < 1:
        raise ValueError(f'num_views must be >= 1, got {num_views}')
    split = (decode_step(transforms) if decode_index is None else decode_index) + 1
    results = info
    for transform in transforms[:split]:
        results = transform(results)
        if results is None:
            return None
    imgs = results.pop('imgs')
    shared = results
    copies = num_views > 1 and views_need_frame_copies(transforms[split:])
    views = []
    for view in range(num_views):
        last = view == num_views - 1
        results = shared if last else copy.deepcopy(shared)
        results['imgs'] = _copy_frames(imgs) if copies and not last else imgs
        for transform in transforms[split:]:
            results = transform(results)
            if results is None:
                return None
        views.append(results)
    return views


@COLLATE_FUNCTIONS.register_module()
def flatten_views_collate(data_batch: Sequence[Any]) -> Any:
    """``pseudo_collate`` over every view of every sample (a sample is a dict, or a list of
    views from :func:`prepare_repeated_views`): a batch of ``B`` videos with ``N`` views each
    holds ``B * N`` clips, the views of a video next to each other."""
    flat = [view for item in data_batch
            for view in (item if isinstance(item, (list, tuple)) else [item])]
    return pseudo_collate(flat)
