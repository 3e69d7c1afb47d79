#!/usr/bin/env python
"""Convert VideoMAE checkpoints for SignMAE.

* MCG-NJU VideoMAE pretraining checkpoints (``encoder.*``, ``decoder.*``, ``mask_token``) and
  Hugging Face ``VideoMAEForPreTraining`` weights (``videomae.*``; a ``.bin``/``.pth`` file,
  a ``.safetensors`` file or a ``save_pretrained`` folder) -> our ``VideoMAEPretrainer``
  (``--to pretrainer``, the default), to start pretraining from, e.g., Kinetics weights.
* A finished pretraining run (ours, or either VideoMAE layout) -> a backbone-only checkpoint
  (``--to backbone``) for mmaction2's ``Recognizer3D`` + ``VisionTransformer``; by default
  without ``backbone.norm`` (finetuning with mean pooling uses a fresh ``fc_norm`` instead).

Fails closed: when a source key could not be mapped, the tool lists it, writes nothing and
exits 1; ``--allow-unmapped`` writes the partial model anyway (and records the unmapped keys in
the file's ``meta``). ``--config`` also checks the result against a model built from a config:
missing keys are reported, unexpected or mis-shaped ones are an error (nothing is written).

Examples::

    python tools/convert_videomae_checkpoint.py videomae_vit-b_k400_pretrain.pth \\
        work_dirs/videomae_k400_signmae.pth --config configs/signmae_pretrain.py
    python tools/convert_videomae_checkpoint.py work_dirs/signmae_pretrain/epoch_800.pth \\
        work_dirs/signmae_backbone.pth --to backbone
"""
import argparse
import io
import os
import os.path as osp
import sys
from typing import Dict, List

import torch


def parse_args(argv: List[str] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='source checkpoint file (or Hugging Face folder)')
    parser.add_argument('dst', help='output checkpoint file')
    parser.add_argument('--from', dest='layout', default='auto',
                        choices=['auto', 'official', 'hf', 'signmae'],
                        help='layout of the source (default: detected)')
    parser.add_argument('--to', default='pretrainer', choices=['pretrainer', 'backbone'],
                        help='pretrainer: backbone.* + neck.*; backbone: backbone.* only')
    parser.add_argument('--num-frames', type=int, default=16,
                        help='clip length of the target model (for backbone.pos_embed)')
    parser.add_argument('--img-size', type=int, default=224,
                        help='clip side of the target model (for backbone.pos_embed)')
    parser.add_argument('--keep-norm', action='store_true',
                        help='with --to backbone: keep backbone.norm')
    parser.add_argument('--config', help='check the result against the model of this config')
    parser.add_argument('--trust', action='store_true',
                        help='the source file may hold pickled objects beyond tensors '
                        '(unpickling can run code: only for files you trust)')
    parser.add_argument('--allow-unmapped', action='store_true',
                        help='write the result even if source keys are unmapped (a partial '
                        'model: they are listed, and kept in the meta of the file)')
    parser.add_argument('--strict', action='store_true',
                        help='no effect: unmapped keys are an error by default (kept for older '
                        'commands)')
    return parser.parse_args(argv)


def load_source(src: str, trust: bool) -> dict:
    """Read a checkpoint file, a ``.safetensors`` file or a Hugging Face folder."""
    if osp.isdir(src):
        for name in ('model.safetensors', 'pytorch_model.bin'):
            if osp.isfile(osp.join(src, name)):
                src = osp.join(src, name)
                break
        else:
            raise FileNotFoundError(f'{src}: no model.safetensors or pytorch_model.bin')
    if src.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as err:
            raise ImportError('reading .safetensors needs the `safetensors` package') from err
        return load_file(src)
    from mmengine.runner.checkpoint import CheckpointLoader

    from signmae_mm.compat import trust_checkpoints
    if trust:
        trust_checkpoints(src)
    # signmae_mm's loader: weights_only=True unless the file is trusted.
    return CheckpointLoader.load_checkpoint(src, map_location='cpu')


def check_against_config(state_dict: Dict[str, torch.Tensor], config: str,
                         only_backbone: bool) -> Dict[str, List[str]]:
    """Missing / unexpected / mis-shaped keys of ``state_dict`` for the config's model."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    target = model.state_dict()
    if only_backbone:
        target = {k: v for k, v in target.items() if k.startswith('backbone.')}
    return dict(
        missing=sorted(set(target) - set(state_dict)),
        unexpected=sorted(set(state_dict) - set(target)),
        mismatched=sorted(f'{k}: {tuple(state_dict[k].shape)} vs model {tuple(v.shape)}'
                          for k, v in target.items()
                          if k in state_dict and state_dict[k].shape != v.shape))


def main(argv: List[str] = None) -> int:
    args = parse_args(argv)
    import signmae_mm  # noqa: F401  (compat fixes, safe checkpoint loading)
    from signmae_mm.engine.atomic_local_backend import atomic_write
    from signmae_mm.models.utils.checkpoint_conversion import convert_checkpoint

    result = convert_checkpoint(
        load_source(args.src, args.trust),
        to=args.to,
        layout=args.layout,
        num_frames=args.num_frames,
        img_size=args.img_size,
        keep_norm=args.keep_norm)
    print(f'{args.src}: {result.layout} layout -> {len(result.state_dict)} tensors ({args.to})')
    for note in result.notes:
        print(f'  note: {note}')
    if result.unmapped:
        print(f'  UNMAPPED ({len(result.unmapped)} source keys not converted):')
        for key in result.unmapped:
            print(f'    {key}')
    else:
        print('  every source key was mapped'
              + (f' ({len(result.dropped)} left out on purpose)' if result.dropped else ''))
    problems = 0
    if args.config:
        report = check_against_config(result.state_dict, args.config, args.to == 'backbone')
        for kind, keys in report.items():
            print(f'  against {args.config}: {len(keys)} {kind}')
            for key in keys:
                print(f'    {key}')
        problems = len(report['unexpected']) + len(report['mismatched'])
    if problems:
        print(f'NOT saved: the result does not fit {args.config} ({problems} unexpected or '
              'mis-shaped keys)')
        return 1
    if result.unmapped and not args.allow_unmapped:
        print(f'NOT saved: {len(result.unmapped)} source keys were not converted; the model '
              'would silently lack them. Pass --allow-unmapped to write it anyway.')
        return 1
    meta = dict(converted_from=result.layout, source=osp.abspath(args.src), to=args.to,
                unmapped=list(result.unmapped), notes=list(result.notes))
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=result.state_dict, meta=meta), buffer)
    atomic_write(buffer.getvalue(), args.dst)
    partial = f' (PARTIAL: {len(result.unmapped)} unmapped keys)' if result.unmapped else ''
    print(f'saved {args.dst}{partial}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
