"""Show what a pretrained SignMAE / VideoMAE model reconstructs of a masked clip: a PNG.

Builds the pretraining model of CONFIG, loads CHECKPOINT, takes one clip with its token mask from
the config's train pipeline (sample ``--index`` of its train dataset, or ``--video`` with
``--sign-ann``), seeded by ``--seed`` so that the crop and the mask are reproducible, and draws
three rows (original, masked input, reconstruction) with one column per time slot, the clip's
reconstruction loss and its mean-predictor floor (the loss of predicting every masked tubelet by
its own mean colour; a model that learned anything beats it).

Examples::

    python tools/visualize_reconstruction.py \\
        configs/demo/signmae-handarm_vit-tiny-p16_8x2x1_signdemo.py \\
        work_dirs/signmae-handarm_vit-tiny-p16_8x2x1_signdemo/epoch_26.pth --index 3 --out rec.png

    python tools/visualize_reconstruction.py CONFIG CHECKPOINT --video v.mp4 --sign-ann v.npz \\
        --out rec.png --seed 1
"""
import argparse
import os.path as osp
import re
import sys
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

#: How many key names an error message lists per kind.
_LISTED = 5


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model of the config."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='pretraining config (model and train pipeline)')
    parser.add_argument('checkpoint', help='checkpoint of that model')
    parser.add_argument('--index', type=int, default=None,
                        help='sample of the config\'s train dataset (default 0)')
    parser.add_argument('--video', help='a video (with --sign-ann) instead of the dataset')
    parser.add_argument('--sign-ann', help='the video\'s sign annotation (.npz)')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--seed', type=int, default=0, help='seed of the pipeline (crop, mask)')
    parser.add_argument('--scale', type=int, default=None,
                        help='upscaling of the frames (default: shorter side >= 128 px)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides of the config')
    args = parser.parse_args(argv)
    if args.video is not None and args.index is not None:
        parser.error('give either --index or --video, not both')
    if (args.video is None) != (args.sign_ann is None):
        parser.error('--video and --sign-ann go together')
    if args.video is None and args.index is None:
        args.index = 0
    return args


def _keys(kind: str, keys: List[str]) -> str:
    listed = ', '.join(keys[:_LISTED]) + (', ...' if len(keys) > _LISTED else '')
    return f'{len(keys)} {kind} ({listed})'


def load_pretrainer_checkpoint(model, filename: str, config: str) -> dict:
    """Load ``filename`` into ``model`` with mmengine's ``load_checkpoint``; every key must fit.

    Raises:
        CheckpointMismatchError: Naming both files, with the missing, unexpected and
            wrongly shaped keys (a few of each), when the weights do not fit.
    """
    from mmengine.runner import load_checkpoint

    # strict=False + a silent logger: mmengine would list every key; we check and say it once.
    checkpoint = load_checkpoint(model, filename, map_location='cpu', strict=False,
                                 logger='silent')
    state = checkpoint.get('state_dict', checkpoint)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in expected.items()
              if k in state and hasattr(state[k], 'shape') and state[k].shape != v.shape]
    if missing or unexpected or shapes:
        problems = [_keys(kind, keys) for kind, keys in (
            ('missing keys', missing), ('unexpected keys', unexpected),
            ('keys of another shape (checkpoint vs model)', shapes)) if keys]
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not match the model of {config} '
            f'({type(model).__name__}): ' + '; '.join(problems) +
            '. Is it a checkpoint of this pretraining config (same model sizes, not a '
            'finetuned or converted one)?')
    return checkpoint


def load_sample(cfg, args: argparse.Namespace) -> Tuple[dict, dict]:
    """Run the config's train pipeline on one sample, seeded with ``args.seed``.

    Returns:
        tuple[dict, dict]: The packed sample and the unpacked results' info (``filename``,
        ``mask_type``, ``mask_fallback``) of the mask transform.
    """
    from mmaction.registry import DATASETS
    from mmengine.dataset import Compose

    from signmae_mm.datasets.seeding import isolated_rng

    dataset_cfg = cfg.train_dataloader.dataset
    if args.video is None:
        dataset = DATASETS.build(dataset_cfg)
        if not 0 <= args.index < len(dataset):
            raise IndexError(f'--index {args.index} outside the {len(dataset)} samples of '
                             f'{dataset_cfg.get("ann_file")}')
        info = dataset.get_data_info(args.index)
        transforms = dataset.pipeline.transforms
    else:
        info = dict(filename=args.video, sign_ann=args.sign_ann, label=-1, modality='RGB',
                    start_index=0, test_mode=False)
        transforms = Compose(dataset_cfg.pipeline).transforms
    meta = {}
    results = info
    # Our own loop rather than Compose: the mask's info is read before packing drops it.
    with isolated_rng(args.seed):
        for transform in transforms:
            if type(transform).__name__.startswith('Pack'):
                meta = {k: results.get(k) for k in ('filename', 'mask_type', 'mask_fallback')}
            results = transform(results)
            if results is None:
                raise RuntimeError(f'{type(transform).__name__} dropped {info.get("filename")} '
                                   '(e.g. a static clip); try another sample or --seed')
    if 'mask' not in results['data_samples']:
        raise RuntimeError(f'the train pipeline of {cfg.filename} gives no token mask: it needs '
                           "a mask transform and PackActionInputs(algorithm_keys=('mask', ))")
    return results, meta


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns :func:`signmae_mm.visualization.reconstruct`'s result."""
    import signmae_mm  # noqa: F401  (compat fixes, registers our modules)
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.visualization import draw_reconstruction, reconstruct

    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'head') or not hasattr(model.head, 'mean_predictor_loss'):
        raise TypeError(f'{args.config}: the model ({type(model).__name__}) is not a '
                        'pretraining model with a PixelReconstructionHead')
    load_pretrainer_checkpoint(model, args.checkpoint, args.config)
    model.to(args.device)
    data, meta = load_sample(cfg, args)

    result = reconstruct(model, data)
    result['mask_type'] = meta.get('mask_type')
    fallback = ' (fallback)' if meta.get('mask_fallback') else ''
    title = (f'{osp.basename(str(meta.get("filename", "")))}   {osp.basename(args.checkpoint)}'
             f'   seed {args.seed}')
    image = draw_reconstruction(result, args.scale, title)
    if not cv2.imwrite(args.out, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f'cannot write {args.out}')
    print(f'wrote {args.out} ({image.shape[1]}x{image.shape[0]})')
    print(f'loss_rec {result["loss"]:.6f}  floor {result["floor"]:.6f}  '
          f'mask {result["mask_type"]}{fallback}  masked {int(np.sum(result["mask"]))}/'
          f'{result["mask"].size}')
    return result


if __name__ == '__main__':
    try:
        main(sys.argv[1:])
    except (CheckpointMismatchError, FileNotFoundError) as error:
        # What the user got wrong, not a bug: one line, no traceback.
        sys.exit(f'error: {error}')
