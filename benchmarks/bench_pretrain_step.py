#!/usr/bin/env python
"""Time one VideoMAE pretraining step (forward + backward): ours vs Hugging Face's.

Ours is ``VideoMAEPretrainer`` (``MaskedVisionTransformer`` + ``VideoMAEDecoder`` +
``PixelReconstructionHead``), with and without dual masking; the reference is ``transformers``'
``VideoMAEForPreTraining`` with the same sizes, the same clips and the same masks, timed in the
same run, alternating between the models so that drifts of the machine hit all alike. A step
is ``zero_grad``, the loss forward and ``backward`` (no optimiser update, identical for both).

Needs ``transformers`` (``pip install transformers``; not a runtime dependency of signmae_mm).

Targets (issue 4): ours without dual masking no slower than HF (ratio <= 1.0); with dual
masking (decoder keeps 50%) at most 0.7x of HF.

Examples::

    python benchmarks/bench_pretrain_step.py --device cuda --amp            # 16x224x224, S & B
    python benchmarks/bench_pretrain_step.py --img-size 112 --num-frames 8  # a CPU-sized run
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List

import torch

# Encoder (width, heads) and VideoMAE's decoder (width, heads) per size.
SIZES = {
    'vit-s': dict(embed_dims=384, num_heads=6, decoder_dims=192, decoder_heads=3),
    'vit-b': dict(embed_dims=768, num_heads=12, decoder_dims=384, decoder_heads=6),
    'vit-l': dict(embed_dims=1024, num_heads=16, decoder_dims=512, decoder_heads=8),
}
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', default=['vit-s', 'vit-b'], choices=list(SIZES))
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--num-frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)
    parser.add_argument('--depth', type=int, default=12, help='encoder depth')
    parser.add_argument('--decoder-depth', type=int, default=4)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--decoder-keep-ratio', type=float, default=0.5,
                        help='dual masking: fraction of tokens the decoder keeps')
    parser.add_argument('--repeats', type=int, default=5, help='timed steps per variant')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps per variant')
    parser.add_argument('--amp', action='store_true', help='autocast (bf16 on CUDA)')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def tube_masks(batch: int, grid: tuple, ratio: float, device) -> torch.Tensor:
    """VideoMAE's tube masking: one random spatial mask per clip, repeated over time."""
    t, h, w = grid
    num_masked = int(round(ratio * h * w))
    scores = torch.rand(batch, h * w)
    spatial = torch.zeros(batch, h * w, dtype=torch.bool)
    spatial.scatter_(1, scores.argsort(dim=1)[:, :num_masked], True)
    return spatial[:, None].expand(batch, t, h * w).reshape(batch, -1).to(device)


def build_ours(args, size: dict, dual: bool) -> torch.nn.Module:
    from mmaction.registry import MODELS
    cfg = dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='MaskedVisionTransformer', img_size=args.img_size,
                      patch_size=args.patch_size, embed_dims=size['embed_dims'],
                      depth=args.depth, num_heads=size['num_heads'], num_frames=args.num_frames,
                      tubelet_size=args.tubelet_size),
        neck=dict(type='VideoMAEDecoder', embed_dims=size['decoder_dims'],
                  depth=args.decoder_depth, num_heads=size['decoder_heads']),
        head=dict(type='PixelReconstructionHead', norm_pix=True),
        decoder_keep_ratio=args.decoder_keep_ratio if dual else None,
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=MEAN, std=STD,
                               format_shape='NCTHW'))
    model = MODELS.build(cfg)
    model.init_weights()
    return model.to(args.device).train()


def build_hf(args, size: dict) -> torch.nn.Module:
    from transformers import VideoMAEConfig, VideoMAEForPreTraining
    config = VideoMAEConfig(
        image_size=args.img_size, patch_size=args.patch_size, num_frames=args.num_frames,
        tubelet_size=args.tubelet_size, hidden_size=size['embed_dims'],
        num_hidden_layers=args.depth, num_attention_heads=size['num_heads'],
        intermediate_size=4 * size['embed_dims'], decoder_hidden_size=size['decoder_dims'],
        decoder_num_hidden_layers=args.decoder_depth,
        decoder_num_attention_heads=size['decoder_heads'],
        decoder_intermediate_size=4 * size['decoder_dims'], use_mean_pooling=False,
        norm_pix_loss=True, layer_norm_eps=1e-6, attn_implementation='sdpa')
    return VideoMAEForPreTraining(config).to(args.device).train()


def make_step(model: torch.nn.Module, loss_fn: Callable, args) -> Callable[[], float]:
    """A closure running one timed step; returns seconds."""
    device_type = torch.device(args.device).type
    amp_dtype = torch.bfloat16

    def step() -> float:
        if device_type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.zero_grad(set_to_none=True)
        with torch.autocast(device_type, dtype=amp_dtype, enabled=args.amp):
            loss = loss_fn()
        loss.backward()
        if device_type == 'cuda':
            torch.cuda.synchronize()
        return time.perf_counter() - start

    return step


def bench_model(args, name: str, grid: tuple) -> None:
    """Time HF, ours and ours with dual masking on the same clips and masks; print the table."""
    size = SIZES[name]
    video = torch.randn(args.batch_size, 3, args.num_frames, args.img_size, args.img_size,
                        device=args.device)
    masks = tube_masks(args.batch_size, grid, args.mask_ratio, args.device)
    ours = build_ours(args, size, dual=False)
    dual = build_ours(args, size, dual=True)
    dual.load_state_dict(ours.state_dict())
    hf = build_hf(args, size)
    hf_video = video.transpose(1, 2).contiguous()  # HF wants (B, T, C, H, W)
    steps: Dict[str, Callable[[], float]] = {
        'hf': make_step(hf, lambda: hf(hf_video, bool_masked_pos=masks).loss, args),
        'ours': make_step(ours, lambda: ours(video, mode='loss', masks=masks)['loss_rec'],
                          args),
        'ours+dual': make_step(
            dual, lambda: dual(video, mode='loss', masks=masks)['loss_rec'], args),
    }
    times: Dict[str, List[float]] = {k: [] for k in steps}
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    for _ in range(args.repeats):
        for key, step in steps.items():  # interleaved
            times[key].append(step())
    hf_median, hf_min = statistics.median(times['hf']), min(times['hf'])
    print(f'\n{name} (attention: HF {hf.config._attn_implementation}, ours SDPA)')
    print(f'  {"variant":<10} {"median ms":>10} {"vs HF":>6} {"min ms":>8} {"vs HF":>6}')
    for key, values in times.items():
        median = statistics.median(values)
        print(f'  {key:<10} {median * 1e3:>10.1f} {median / hf_median:>6.2f} '
              f'{min(values) * 1e3:>8.1f} {min(values) / hf_min:>6.2f}')
    targets = {'ours': 1.0, 'ours+dual': 0.7}
    for key, limit in targets.items():
        ratio = statistics.median(times[key]) / hf_median
        verdict = 'meets' if ratio <= limit else 'MISSES'
        print(f'  {key}: median {ratio:.2f}x HF, target <= {limit}x: {verdict}')


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    # mmaction2 imports its VindLU models (which need timm) whenever transformers is installed;
    # they are not used here, so keep them out before mmaction.models is imported.
    from mmaction.utils import dependency
    dependency.WITH_MULTIMODAL = False
    import transformers

    import signmae_mm  # noqa: F401  (registers our models)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('bench_pretrain_step', log_level='WARNING')  # quiet init_weights
    grid = (args.num_frames // args.tubelet_size, args.img_size // args.patch_size,
            args.img_size // args.patch_size)
    num_tokens = grid[0] * grid[1] * grid[2]
    print(f'device={args.device} threads={torch.get_num_threads()} torch={torch.__version__} '
          f'transformers={transformers.__version__} amp={args.amp}')
    print(f'clip {args.num_frames}x{args.img_size}x{args.img_size}, batch {args.batch_size}, '
          f'{num_tokens} tokens, mask {args.mask_ratio}, encoder depth {args.depth}, '
          f'decoder depth {args.decoder_depth}, dual-masking keep {args.decoder_keep_ratio}; '
          f'{args.warmup} warm-up + {args.repeats} timed steps per variant')
    for name in args.models:
        bench_model(args, name, grid)
        if args.device.startswith('cuda'):
            torch.cuda.empty_cache()


if __name__ == '__main__':
    main()
