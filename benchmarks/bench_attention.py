#!/usr/bin/env python
"""The demo pretraining step with SDPA or mmaction2's explicit attention, float32 or bfloat16.

Why the demo configs set ``use_sdpa=False``: on a CPU, at the demo's token counts (32 visible
tokens in the encoder, 128 in the decoder, head width 32), the fused kernel that
``scaled_dot_product_attention`` picks is slower than the explicit ``softmax(q k^T) v`` of
mmaction2's ``Attention``, and much slower in bfloat16 (the dtype ``CPUAutocastOptimWrapper``
runs on CPUs that have it). The script builds the demo pretraining config's model (encoder,
decoder, head, real ``loss_rec``) twice, differing only in ``use_sdpa``, and times a training
step (forward, backward, AdamW) on the same random batch, in float32 and under CPU bfloat16
autocast, the four settings alternating so that a noisy machine slows them alike. It also times
one attention call (forward and backward) at the encoder's and the decoder's shapes. Prints
medians and the ratios to SDPA in float32.

Example (from the repository root, environment active)::

    python benchmarks/bench_attention.py --repeats 15 --threads 2
"""
import argparse
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'demo', 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=15, help='timed steps per setting')
    parser.add_argument('--threads', type=int, default=2, help='torch threads')
    parser.add_argument('--batch', type=int, default=32, help='clips per step')
    return parser.parse_args()


def median_ms(fns: Dict[str, Callable[[], None]], repeats: int) -> Dict[str, float]:
    """Median milliseconds of each function, called in turn ``repeats`` times after a warm-up."""
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn(), fn()
    for _ in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def main() -> None:
    args = parse_args()
    import torch

    import signmae_mm  # noqa: F401  (compat fixes before mmaction)
    from mmaction.models.backbones.vit_mae import Attention
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.models.utils import SDPAAttention
    torch.set_num_threads(args.threads)
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIG)
    backbone = cfg.model.backbone
    tokens = (backbone.num_frames // backbone.tubelet_size) * (
        backbone.img_size // backbone.patch_size)**2
    visible = tokens - int(round(cfg.mask_ratio * tokens))
    video = torch.rand(args.batch, 3, backbone.num_frames, backbone.img_size,
                       backbone.img_size) * 255
    inputs = (video - 128.) / 64.  # the scale of the data preprocessor's output
    masks = torch.stack([torch.randperm(tokens) >= visible for _ in range(args.batch)])

    fns = {}
    for sdpa in (True, False):
        model_cfg = cfg.model.to_dict()
        model_cfg['backbone']['use_sdpa'] = model_cfg['neck']['use_sdpa'] = sdpa
        model = MODELS.build(model_cfg)
        model.init_weights()
        model.train()
        optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95))
        for bf16 in (False, True):

            def step(model=model, optim=optim, bf16=bf16):
                with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
                    loss = model(inputs, None, mode='loss', masks=masks)['loss_rec']
                optim.zero_grad()
                loss.float().backward()
                optim.step()

            fns[f'{"sdpa" if sdpa else "explicit"}, {"bf16" if bf16 else "fp32"}'] = step
    steps = median_ms(fns, args.repeats)

    calls = {}
    for name, dims, heads, n in (('encoder', backbone.embed_dims, backbone.num_heads, visible),
                                 ('decoder', cfg.model.neck.embed_dims,
                                  cfg.model.neck.num_heads, tokens)):
        stock = Attention(dims, num_heads=heads, qkv_bias=True)
        for label, attn in (('sdpa', SDPAAttention.from_attention(stock)),
                            ('explicit', stock)):
            x = torch.randn(args.batch, n, dims, requires_grad=True)
            for bf16 in (False, True):

                def call(attn=attn, x=x, bf16=bf16):
                    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
                        out = attn(x)
                    out.float().sum().backward()

                calls[f'{name} ({n} tokens), {label}, {"bf16" if bf16 else "fp32"}'] = call
    calls = median_ms(calls, args.repeats)

    print(f'torch {torch.__version__}, {args.threads} threads, batch {args.batch}, '
          f'{tokens} tokens ({visible} visible); medians of {args.repeats}, ms')
    base = steps['sdpa, fp32']
    print('\ntraining step (encoder + decoder + loss, forward, backward, AdamW):')
    for key, ms in steps.items():
        print(f'  {key:16s} {ms:8.1f} ms   {base / ms:5.2f}x the speed of sdpa, fp32')
    print('\none attention call (forward + backward):')
    for key, ms in calls.items():
        print(f'  {key:40s} {ms:8.2f} ms')


if __name__ == '__main__':
    main()
