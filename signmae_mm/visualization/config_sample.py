"""One sample through a config's own train pipeline, seeded: what the visualisers draw.

The visualisers show what training does to a clip, so they never write a pipeline of their own:
they take the ``<split>_dataloader`` dataset of a config and run its transforms either on a
sample of that dataset (``index``) or on any video with its sign annotation (``video`` and
``sign_ann``), under :func:`~signmae_mm.datasets.isolated_rng` so that a seed gives the same
frames, crop, flip and mask every time.
"""
import copy
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..datasets.transforms import as_mask, is_token_mask, token_masks

__all__ = ['override_pipeline', 'sample_transforms', 'run_transforms', 'packed_sample']

#: Frame samplers whose clip length and interval :func:`override_pipeline` sets.
_SAMPLERS = ('SampleFrames', 'SampleSignFrames')


def override_pipeline(pipeline: Sequence[dict],
                      mask: Optional[str] = None,
                      ratio: Optional[float] = None,
                      clip_len: Optional[int] = None,
                      frame_interval: Optional[int] = None,
                      input_size: Optional[int] = None,
                      patch_size: Optional[int] = None,
                      tubelet_size: Optional[int] = None) -> List[dict]:
    """A copy of a pipeline config with the clip geometry or the mask changed consistently.

    Each argument left None keeps the config's value. The frame sampler gets ``clip_len`` /
    ``frame_interval``; the final square size goes to ``MultiScaleCrop(input_size)``,
    ``CenterCrop(crop_size)`` and the fixed-size ``Resize(scale, keep_ratio=False)``; the token
    mask gets its type (a key of :func:`~signmae_mm.datasets.transforms.token_masks`, the
    registered masks; :func:`~signmae_mm.datasets.transforms.as_mask` keeps the arguments all
    masks take), ``ratio``, ``patch_size``, ``tubelet_size`` and an ``input_size`` that agrees
    with the new clip.

    Args:
        pipeline (Sequence[dict]): Transform configs.
        mask (str, optional): A registered mask: ``'hand_arm'``, ``'tube'``, ``'random'``, ...
        ratio (float, optional): Masking ratio.
        clip_len (int, optional): Frames per clip.
        frame_interval (int, optional): Interval between sampled frames.
        input_size (int, optional): Side of the square clip the model sees.
        patch_size (int, optional): Token side in pixels.
        tubelet_size (int, optional): Token length in frames.

    Returns:
        list[dict]: The edited copy.

    Raises:
        ValueError: A mask option is given but the pipeline has no token mask.
    """
    out = [dict(copy.deepcopy(t)) for t in pipeline]
    has_mask = False
    for t in out:
        kind = t.get('type')
        if kind in _SAMPLERS:
            if clip_len is not None:
                t['clip_len'] = clip_len
            if frame_interval is not None:
                t['frame_interval'] = frame_interval
        elif input_size is not None and kind == 'MultiScaleCrop':
            t['input_size'] = input_size
        elif input_size is not None and kind == 'CenterCrop':
            t['crop_size'] = input_size
        elif input_size is not None and kind == 'Resize' and not t.get('keep_ratio', True):
            t['scale'] = (input_size, input_size)
        elif is_token_mask(t):
            has_mask = True
            if mask is not None:
                swapped = as_mask(t, mask)
                t.clear()
                t.update(swapped)
            for key, value in (('ratio', ratio), ('patch_size', patch_size),
                               ('tubelet_size', tubelet_size)):
                if value is not None:
                    t[key] = value
            if t.get('input_size') is not None and (clip_len or input_size):
                old = tuple(t['input_size'])
                t['input_size'] = (clip_len or old[0], input_size or old[1],
                                   input_size or old[2])
    if not has_mask and any(v is not None for v in (mask, ratio, patch_size, tubelet_size)):
        raise ValueError('the pipeline has no token mask (one of '
                         f'{sorted(c.__name__ for c in token_masks().values())}) to change')
    return out


def sample_transforms(cfg: Any,
                      index: Optional[int] = None,
                      video: Optional[str] = None,
                      sign_ann: Optional[str] = None,
                      split: str = 'train') -> Tuple[Dict, List[Callable]]:
    """The info of one sample and the built transforms of a config's dataset pipeline.

    Args:
        cfg (mmengine.Config): The config (``<split>_dataloader.dataset``).
        index (int, optional): A sample of the config's dataset (built, so its annotation list
            must exist). Defaults to 0 without ``video``.
        video (str, optional): A video to run the pipeline on instead (with ``sign_ann``).
        sign_ann (str, optional): The video's sign annotation (``.npz``).
        split (str): Which dataloader. Defaults to ``'train'``.

    Returns:
        tuple[dict, list]: The sample's info (what the dataset gives its pipeline) and the
        transforms.

    Raises:
        IndexError: ``index`` is not a sample of the dataset.
    """
    from mmaction.registry import DATASETS
    from mmengine.dataset import Compose

    dataset_cfg = cfg[f'{split}_dataloader']['dataset']
    if video is not None:
        info = dict(filename=video, sign_ann=sign_ann, label=-1, modality='RGB', start_index=0,
                    test_mode=False)
        return info, Compose(dataset_cfg['pipeline']).transforms
    dataset = DATASETS.build(dataset_cfg)
    index = 0 if index is None else index
    if not 0 <= index < len(dataset):
        raise IndexError(f'--index {index} outside the {len(dataset)} samples of '
                         f'{dataset_cfg.get("ann_file")}')
    return dataset.get_data_info(index), dataset.pipeline.transforms


def run_transforms(transforms: Sequence[Callable],
                   results: Dict,
                   seed: Optional[int],
                   stop_before: Sequence[str] = ()) -> Tuple[Dict, Dict, Optional[Callable]]:
    """Apply transforms in order under :func:`~signmae_mm.datasets.isolated_rng`.

    Args:
        transforms (Sequence[Callable]): Built transforms.
        results (dict): The sample's info.
        seed (int, optional): Seed of python's, numpy's and torch's generators (restored
            afterwards); None: the global generators.
        stop_before (Sequence[str]): Type names, or prefixes of type names, to stop at (e.g.
            ``('FormatShape', 'Pack')``: frames still ``(T, H, W, 3)``). A pending lazy crop
            or flip is then applied (``Fuse``).

    Returns:
        tuple[dict, dict, Callable | None]: The results, the unpacked results as the first
        ``Pack*`` transform received them (or the final results without one), and the
        transform that added ``mask`` (None without a token mask).

    Raises:
        RuntimeError: A transform dropped the sample (e.g. a static clip).
    """
    from mmaction.registry import TRANSFORMS

    from ..datasets.seeding import isolated_rng

    masker, unpacked = None, None
    with isolated_rng(seed):
        for transform in transforms:
            name = type(transform).__name__
            if any(name.startswith(stop) for stop in stop_before):
                break
            if name.startswith('Pack') and unpacked is None:
                unpacked = dict(results)
            had_mask = 'mask' in results
            results = transform(results)
            if results is None:
                raise RuntimeError(f'{name} dropped the sample (e.g. a static clip); try '
                                   'another sample or seed')
            if not had_mask and 'mask' in results:
                masker = transform
        if 'lazy' in results:
            results = TRANSFORMS.build(dict(type='Fuse'))(results)
    return results, results if unpacked is None else unpacked, masker


def packed_sample(cfg: Any,
                  index: Optional[int] = None,
                  video: Optional[str] = None,
                  sign_ann: Optional[str] = None,
                  seed: Optional[int] = 0) -> Tuple[Dict, Dict]:
    """One packed sample of the config's train pipeline, token mask included, seeded.

    Args:
        cfg (mmengine.Config): A pretraining config.
        index (int, optional): See :func:`sample_transforms`.
        video (str, optional): See :func:`sample_transforms`.
        sign_ann (str, optional): See :func:`sample_transforms`.
        seed (int, optional): See :func:`run_transforms`. Defaults to 0.

    Returns:
        tuple[dict, dict]: The packed sample (``inputs``, ``data_samples`` with ``mask``) and
        the mask transform's info of the unpacked results (``filename``, ``mask_type``,
        ``mask_fallback``).

    Raises:
        RuntimeError: The pipeline gives no token mask.
    """
    info, transforms = sample_transforms(cfg, index, video, sign_ann)
    results, unpacked, _ = run_transforms(transforms, info, seed)
    if 'mask' not in results.get('data_samples', {}):
        raise RuntimeError(f'the train pipeline of {cfg.filename} gives no token mask: it needs '
                           "a mask transform and PackActionInputs(algorithm_keys=('mask', ))")
    return results, {k: unpacked.get(k) for k in ('filename', 'mask_type', 'mask_fallback')}
