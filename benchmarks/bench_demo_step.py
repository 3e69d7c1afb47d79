#!/usr/bin/env python
"""Where a demo pretraining iteration spends its time, before and after issue 14, on this CPU.

For two clip geometries of the demo's hand-arm pretraining config, both measured in the same run
on demo videos generated for each:

* ``before``: the demo as it was (16 frames x 112 px clips of 32-frame videos, 8 x 7 x 7 = 392
  tokens, ViT 192 wide / 3 heads, decoder 96 wide, batch 8);
* ``after``: the demo config as it is (8 x 64 px clips of 16-frame videos, 64 tokens, ViT 128
  wide / 4 heads, decoder 64 wide, batch 32);

it times the data pipeline (the config's train pipeline, per clip, in this process) and the
model's training step (data preprocessor, forward, backward, AdamW update) with 1 and 2 torch
threads, and prints clips per second with the ratios after / before. ``--profile`` adds
torch.profiler's table of the most expensive operators of one ``after`` step.

Example::

    python benchmarks/bench_demo_step.py --repeats 20 --profile
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'demo', 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py')
GEOMETRIES = {
    'before': dict(size=112, video_frames=32, clip_len=16, interval=2, embed_dims=192,
                   num_heads=3, decoder_dims=96, decoder_heads=3, batch=8),
    'after': dict(size=64, video_frames=16, clip_len=8, interval=2, embed_dims=128,
                  num_heads=4, decoder_dims=64, decoder_heads=2, batch=32),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=10, help='timed steps per setting')
    parser.add_argument('--clips', type=int, default=64, help='clips timed in the pipeline')
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--profile', action='store_true', help='torch.profiler table (after)')
    return parser.parse_args()


def build(name: str, root: str):
    """The config at a geometry, its dataset on a fresh demo set, and its model."""
    from mmaction.registry import DATASETS, MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.demo import write_demo_dataset
    g = GEOMETRIES[name]
    demo = write_demo_dataset(osp.join(root, name), num_classes=4, videos_per_class=6,
                              num_frames=g['video_frames'], size=g['size'], seed=1)
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmaction')
    geometry = dict(
        SampleSignFrames=dict(clip_len=g['clip_len'], frame_interval=g['interval']),
        MultiScaleCrop=dict(input_size=g['size']),
        Resize=dict(scale=(g['size'], g['size'])),
        SegmentGuidedHandMask=dict(input_size=(g['clip_len'], g['size'], g['size'])))
    pipeline = [dict(t, **geometry.get(t['type'], {})) for t in cfg.train_pipeline]
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset.to_dict(), pipeline=pipeline,
                                  ann_file=demo.ann_files['train'],
                                  data_prefix=dict(video=demo.video_prefix,
                                                   sign_ann=demo.sign_ann_prefix)))
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'].update(img_size=g['size'], num_frames=g['clip_len'],
                                 embed_dims=g['embed_dims'], num_heads=g['num_heads'])
    model_cfg['neck'].update(embed_dims=g['decoder_dims'], num_heads=g['decoder_heads'])
    return cfg, dataset, MODELS.build(model_cfg)


def time_pipeline(dataset, clips: int) -> float:
    """Median seconds per clip of the train pipeline (decode ... pack), after a warm-up."""
    for i in range(4):
        dataset[i % len(dataset)]
    times = []
    for i in range(clips):
        start = time.perf_counter()
        dataset[i % len(dataset)]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_step(model, dataset, batch: int, repeats: int) -> float:
    """Median seconds of one training step (preprocessor, forward, backward, update)."""
    import torch
    from mmengine.dataset import pseudo_collate
    data = pseudo_collate([dataset[i % len(dataset)] for i in range(batch)])
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95))
    model.train()

    def step():
        batch_data = model.data_preprocessor(data, training=True)
        loss = model(**batch_data, mode='loss')['loss_rec']
        optim.zero_grad()
        loss.backward()
        optim.step()

    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), step


def main() -> None:
    args = parse_args()
    import torch

    import signmae_mm  # noqa: F401
    rows: Dict[str, Dict[str, float]] = {}
    step_of = {}
    with tempfile.TemporaryDirectory() as root:
        for name, g in GEOMETRIES.items():
            cfg, dataset, model = build(name, root)
            rows[name] = dict(pipeline=time_pipeline(dataset, args.clips))
            for threads in args.threads:
                torch.set_num_threads(threads)
                seconds, step_of[name] = time_step(model, dataset, g['batch'], args.repeats)
                rows[name][f'step_{threads}'] = seconds / g['batch']
        print(f'torch {torch.__version__}, {torch.get_num_threads()} threads max; medians, '
              'milliseconds per clip (clips per second)')
        header = f'{"geometry":8s} | {"tokens":>6s} | {"pipeline":>14s}' + ''.join(
            f' | {"step, " + str(t) + " thr":>16s}' for t in args.threads)
        print(header + '\n' + '-' * len(header))
        for name, g in GEOMETRIES.items():
            tokens = (g['clip_len'] // 2) * (g['size'] // 16)**2
            cells = [f'{1e3 * v:6.2f} ({1 / v:5.0f})' for v in rows[name].values()]
            print(f'{name:8s} | {tokens:6d} | {cells[0]:>14s}' +
                  ''.join(f' | {c:>16s}' for c in cells[1:]))
        ratio = {k: rows['before'][k] / rows['after'][k] for k in rows['after']}
        print('speed-up after / before (clips per second): ' +
              ', '.join(f'{k} {v:.1f}x' for k, v in ratio.items()))
        if args.profile:
            from torch.profiler import ProfilerActivity, profile
            torch.set_num_threads(max(args.threads))
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                step_of['after']()
            print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15))


if __name__ == '__main__':
    main()
