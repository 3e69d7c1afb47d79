#!/usr/bin/env python
"""Where a demo training iteration spends its time, at the demo's clip geometries, on this CPU.

For the clip geometries of the demo's configs, all measured in the same run on demo videos
generated for each (ViT 128 wide / 4 heads, decoder 64 wide, batch 32, 8 x 64 px clips of
16-frame videos unless said):

* ``p16`` (issue 14, the baseline): 16-px patches, 2-frame tubelets, 4 x 4 x 4 = 64 tokens;
* ``p8t4`` (issue 23, the demo as it is): 8-px patches, 4-frame tubelets, 2 x 8 x 8 = 128 tokens;
* ``p8t2``: 8-px patches, 2-frame tubelets, 4 x 8 x 8 = 256 tokens;
* with ``--before``, ``before`` (the demo before issue 14: 16 x 112 px clips of 32-frame videos,
  8 x 7 x 7 = 392 tokens, ViT 192 wide / 3 heads, decoder 96 wide, batch 8);

it times the hand-arm pretraining config's data pipeline (per clip, in this process), its
training step (data preprocessor, forward, backward, AdamW update) and the finetuning step
(mmaction2's ``Recognizer3D`` + ``VisionTransformer`` on every token, the demo finetuning
config's model) with 1 and 2 torch threads, and prints clips per second with the ratios to
``p16``. ``--profile`` adds torch.profiler's table of the most expensive operators of one
pretraining step of the demo as it is.

Example::

    python benchmarks/bench_demo_step.py --repeats 10 --profile
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'demo', 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py')
FINETUNE = osp.join(REPO, 'configs', 'demo', 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py')
_DEMO = dict(size=64, video_frames=16, clip_len=8, interval=2, embed_dims=128, num_heads=4,
             decoder_dims=64, decoder_heads=2, batch=32)
GEOMETRIES = {
    'p16': dict(_DEMO, patch=16, tubelet=2),
    'p8t4': dict(_DEMO, patch=8, tubelet=4),
    'p8t2': dict(_DEMO, patch=8, tubelet=2),
}
BASELINE, CURRENT = 'p16', 'p8t4'
BEFORE = dict(size=112, video_frames=32, clip_len=16, interval=2, embed_dims=192, num_heads=3,
              decoder_dims=96, decoder_heads=3, batch=8, patch=16, tubelet=2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=10, help='timed steps per setting')
    parser.add_argument('--clips', type=int, default=64, help='clips timed in the pipeline')
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--profile', action='store_true',
                        help=f'torch.profiler table ({CURRENT} pretraining step)')
    parser.add_argument('--before', action='store_true',
                        help='also the demo before issue 14 (392 tokens: slow)')
    return parser.parse_args()


def build(name: str, root: str):
    """The config at a geometry, its dataset on a fresh demo set, its pretraining model and the
    finetuning model of the same encoder."""
    from mmaction.registry import DATASETS, MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.demo import write_demo_dataset
    g = GEOMETRIES[name]
    tokens = dict(patch_size=g['patch'], tubelet_size=g['tubelet'])
    demo = write_demo_dataset(osp.join(root, name), num_classes=4, videos_per_class=6,
                              num_frames=g['video_frames'], size=g['size'], seed=1)
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmaction')
    geometry = dict(
        SampleSignFrames=dict(clip_len=g['clip_len'], frame_interval=g['interval']),
        MultiScaleCrop=dict(input_size=g['size']),
        Resize=dict(scale=(g['size'], g['size'])),
        SegmentGuidedHandMask=dict(input_size=(g['clip_len'], g['size'], g['size']), **tokens))
    pipeline = [dict(t, **geometry.get(t['type'], {})) for t in cfg.train_pipeline]
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset.to_dict(), pipeline=pipeline,
                                  ann_file=demo.ann_files['train'],
                                  data_prefix=dict(video=demo.video_prefix,
                                                   sign_ann=demo.sign_ann_prefix)))
    model_cfg = cfg.model.to_dict()
    sizes = dict(img_size=g['size'], num_frames=g['clip_len'], embed_dims=g['embed_dims'],
                 num_heads=g['num_heads'], **tokens)
    model_cfg['backbone'].update(sizes)
    model_cfg['neck'].update(embed_dims=g['decoder_dims'], num_heads=g['decoder_heads'])
    finetune = Config.fromfile(FINETUNE).model.to_dict()
    finetune['backbone'].update(sizes, init_cfg=None)
    finetune['cls_head'].update(in_channels=g['embed_dims'])
    return cfg, dataset, MODELS.build(model_cfg), MODELS.build(finetune)


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
    """Median seconds of one training step (preprocessor, forward, backward, update) of a
    pretraining model, or of a recognizer (``loss_cls``) on the same clips."""
    import torch
    from mmengine.dataset import pseudo_collate
    data = pseudo_collate([dataset[i % len(dataset)] for i in range(batch)])
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95))
    model.train()

    def step():
        batch_data = model.data_preprocessor(data, training=True)
        losses = model(**batch_data, mode='loss')
        loss = losses.get('loss_rec', losses.get('loss_cls'))
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
    if args.before:
        GEOMETRIES['before'] = BEFORE
    rows: Dict[str, Dict[str, float]] = {}
    step_of = {}
    with tempfile.TemporaryDirectory() as root:
        for name, g in GEOMETRIES.items():
            cfg, dataset, model, recognizer = build(name, root)
            rows[name] = dict(pipeline=time_pipeline(dataset, args.clips))
            for threads in args.threads:
                torch.set_num_threads(threads)
                seconds, step_of[name] = time_step(model, dataset, g['batch'], args.repeats)
                rows[name][f'pretrain, {threads} thr'] = seconds / g['batch']
                seconds, _ = time_step(recognizer, dataset, g['batch'], args.repeats)
                rows[name][f'finetune, {threads} thr'] = seconds / g['batch']
        print(f'torch {torch.__version__}, {torch.get_num_threads()} threads max; medians, '
              'milliseconds per clip (clips per second)')
        columns = list(rows[BASELINE])
        header = f'{"geometry":8s} | {"tokens":>6s}' + ''.join(f' | {c:>16s}' for c in columns)
        print(header + '\n' + '-' * len(header))
        for name, g in GEOMETRIES.items():
            tokens = (g['clip_len'] // g['tubelet']) * (g['size'] // g['patch'])**2
            cells = [f'{1e3 * v:6.2f} ({1 / v:5.0f})' for v in rows[name].values()]
            print(f'{name:8s} | {tokens:6d}' + ''.join(f' | {c:>16s}' for c in cells))
        for name in GEOMETRIES:
            if name != BASELINE:
                ratio = {k: rows[BASELINE][k] / rows[name][k] for k in columns}
                print(f'clips per second, {name} / {BASELINE}: ' +
                      ', '.join(f'{k} {v:.2f}x' for k, v in ratio.items()))
        if args.profile:
            from torch.profiler import ProfilerActivity, profile
            torch.set_num_threads(max(args.threads))
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                step_of[CURRENT]()
            print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15))


if __name__ == '__main__':
    main()
