#!/usr/bin/env python
"""Clips per second of the whole pretraining data path, per worker process, on videos of the
sizes real sign datasets have, for SignMAE's pipeline and the stock one, in the same run.

Videos: the demo signer rendered at ``--size`` (default 256 x 340, WLASL's short side) for
``--frames`` frames (default 90: 3 s at 30 fps), with their sign annotations. With ``--content
camera`` (the default) each video is written again over a fixed texture with sensor noise, as
camera footage is: the drawn signer's flat colours decode about a third faster than that, which
would overstate what a sign annotation adds to a real clip. Pipelines, at the
real ViT-B geometry (16 frames x interval 4 of 224 px, the train pipeline of
``configs/signmae/signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py``):

* ``stock-tube``: mmaction2's stock transforms with a plain tube mask, no sign annotation
  (``DecordInit -> SampleFrames -> DecordDecode -> MultiScaleCrop -> Resize -> TubeMask ->
  FormatShape -> PackActionInputs``);
* ``hand-arm``: the config's pipeline (``+ LoadSignAnnotation, HandMovementCheck``,
  ``SegmentGuidedHandMask``);
* ``hand-arm xN``: the same with ``num_repeats=N`` (one decoding, N crops and masks; clips =
  views).

For each it prints, in this process (one worker's work): clips/s (median of ``--rounds`` rounds
over the videos; in each round every pipeline runs once, in a rotated order) and the median of
the per-round ratios to ``stock-tube`` (this machine is noisy: ratios within a round share its
conditions), and ms per clip in each transform; then clips/s through a real ``DataLoader`` (batch 8, collate included) with
``--workers`` worker processes, and per worker.

Example::

    python benchmarks/bench_pipeline.py --rounds 5 --repeats 4 --workers 1 2
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time
from collections import defaultdict
from typing import Callable, Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'signmae', 'signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=[256, 340], metavar=('H', 'W'))
    parser.add_argument('--frames', type=int, default=90, help='frames per video')
    parser.add_argument('--videos', type=int, default=8)
    parser.add_argument('--content', choices=('camera', 'drawn'), default='camera',
                        help='camera: the drawn signer over texture and sensor noise')
    parser.add_argument('--rounds', type=int, default=5, help='timed passes over the videos')
    parser.add_argument('--repeats', type=int, nargs='+', default=[4],
                        help='num_repeats of the repeated-view pipelines')
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2],
                        help='DataLoader worker processes (0 skips the DataLoader)')
    parser.add_argument('--batches', type=int, default=12, help='timed DataLoader batches')
    return parser.parse_args()


def pipelines(cfg) -> Dict[str, list]:
    """The config's train pipeline, and its stock tube-mask twin without sign annotation."""
    ours = [dict(t) for t in cfg.train_pipeline]
    mask = next(t for t in ours if t['type'] == 'SegmentGuidedHandMask')
    stock = []
    for t in ours:
        if t['type'] in ('LoadSignAnnotation', 'HandMovementCheck'):
            continue
        if t['type'] == 'SampleSignFrames':
            t = dict(t, type='SampleFrames')
        elif t is mask:
            t = dict(type='TubeMask', ratio=t['ratio'], tubelet_size=t['tubelet_size'],
                     patch_size=t['patch_size'], input_size=t['input_size'])
        stock.append(t)
    return {'stock-tube': stock, 'hand-arm': ours}


class Timed:
    """A transform that adds its time to a table (per transform name)."""

    def __init__(self, transform: Callable, table: Dict[str, float]):
        self.transform, self.table = transform, table
        self.name = type(transform).__name__

    def __call__(self, results):
        start = time.perf_counter()
        out = self.transform(results)
        self.table[self.name] += time.perf_counter() - start
        return out


def build_dataset(cfg, pipeline: list, demo, num_repeats: int = 1):
    from mmaction.registry import DATASETS
    return DATASETS.build(dict(
        type='SignVideoDataset', ann_file=demo.ann_files['train'], pipeline=pipeline,
        data_prefix=dict(video=demo.video_prefix, sign_ann=demo.sign_ann_prefix),
        num_repeats=num_repeats))


def clips_of(sample) -> int:
    return len(sample) if isinstance(sample, list) else 1


def camera_like(video_root: str, seed: int = 0) -> None:
    """Write every video again over a fixed texture with per-frame sensor noise (same size,
    frames and signer, so the sign annotations still fit)."""
    import glob

    import cv2
    import numpy as np

    from signmae_mm.testing import write_video
    rng = np.random.default_rng(seed)
    texture = None
    for path in sorted(glob.glob(osp.join(video_root, '**', '*.mp4'), recursive=True)):
        cap = cv2.VideoCapture(path)
        fps, frames = cap.get(cv2.CAP_PROP_FPS), []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame[..., ::-1])
        cap.release()
        if texture is None:
            texture = cv2.GaussianBlur(
                rng.integers(0, 256, frames[0].shape, dtype=np.uint8), (5, 5), 0)
            texture = texture.astype(np.int16) // 3 - 42
        noisy = [np.clip(f.astype(np.int16) + texture + rng.normal(0, 4, f.shape), 0,
                         255).astype(np.uint8) for f in frames]
        write_video(path, np.stack(noisy), fps)


def in_process(datasets: Dict[str, object], rounds: int) -> Dict[str, List[float]]:
    """Clips/s per round of each dataset; every round runs each once, in a rotated order."""
    speeds = defaultdict(list)
    for ds in datasets.values():  # warm-up: page cache, first decoder and loader calls
        ds[0]
    names = list(datasets)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            ds = datasets[name]
            start, clips = time.perf_counter(), 0
            for i in range(len(ds)):
                clips += clips_of(ds[i])
            speeds[name].append(clips / (time.perf_counter() - start))
    return speeds


def stage_table(ds, rounds: int) -> Dict[str, float]:
    """ms per clip in each transform (the dataset's transforms wrapped with timers)."""
    table: Dict[str, float] = defaultdict(float)
    transforms = ds.pipeline.transforms
    originals = list(transforms)
    transforms[:] = [Timed(t, table) for t in originals]
    clips = 0
    try:
        for _ in range(rounds):
            for i in range(len(ds)):
                clips += clips_of(ds[i])
    finally:
        transforms[:] = originals
    return {k: 1000 * v / clips for k, v in table.items()}


def through_loader(ds, workers: int, batches: int) -> float:
    """Clips/s through a DataLoader (batch 8, shuffled, persistent workers), after warm-up."""
    from mmengine.dataset import DefaultSampler
    from torch.utils.data import DataLoader

    from signmae_mm.datasets import flatten_views_collate
    loader = DataLoader(ds, batch_size=8, num_workers=workers, persistent_workers=True,
                        sampler=DefaultSampler(ds, shuffle=True, seed=0),
                        collate_fn=flatten_views_collate, drop_last=False)
    iterator, clips = iter(loader), 0
    for _ in range(2):  # warm-up: worker start, first videos
        batch = next(iterator, None) or next(iter(loader))
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator, None)
        if batch is None:
            iterator = iter(loader)
            batch = next(iterator)
        clips += len(batch['inputs'])
    return clips / (time.perf_counter() - start)


def _quartiles(values: List[float]) -> List[float]:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return [q[0], q[2]]


def main() -> None:
    args = parse_args()
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import signmae_mm  # noqa: F401
    from signmae_mm.demo import write_demo_dataset
    torch.set_num_threads(1)  # a data worker's share of the machine
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIG)
    with tempfile.TemporaryDirectory() as root:
        start = time.time()
        per_class = -(-args.videos * 6 // 4 // 2)  # train gets 4 of 6: >= --videos train videos
        demo = write_demo_dataset(root, num_classes=2, videos_per_class=per_class,
                                  num_frames=args.frames, size=tuple(args.size), seed=1,
                                  workers=2)
        if args.content == 'camera':
            camera_like(demo.video_prefix)
        print(f'{demo.counts["train"]} training videos of {args.size[0]}x{args.size[1]}, '
              f'{args.frames} frames ({args.content}), made in {time.time() - start:.0f} s; '
              'clips of 16 x interval 4 at 224 px; 1 torch thread')
        lines = pipelines(cfg)
        datasets = {name: build_dataset(cfg, p, demo) for name, p in lines.items()}
        for n in args.repeats:
            datasets[f'hand-arm x{n}'] = build_dataset(cfg, lines['hand-arm'], demo, n)
        speeds = in_process(datasets, args.rounds)
        base = speeds['stock-tube']

        def ratio(name: str, to: List[float]) -> float:
            return statistics.median(a / b for a, b in zip(speeds[name], to))

        print(f'\nin one process (median of {args.rounds} rounds of {demo.counts["train"]} '
              'videos each):')
        print(f'  {"pipeline":<16} {"clips/s":>8} {"ms/clip":>8} {"vs stock-tube":>14} '
              f'{"vs hand-arm":>12}')
        for name, values in speeds.items():
            med = statistics.median(values)
            print(f'  {name:<16} {med:8.1f} {1000 / med:8.1f} {ratio(name, base):13.2f}x '
                  f'{ratio(name, speeds["hand-arm"]):11.2f}x')
        cost = [b / a - 1 for a, b in zip(speeds['hand-arm'], base)]
        print('  hand-arm costs {:+.1f} % per clip over stock-tube (median of the rounds; '
              'quartiles {:+.1f} / {:+.1f} %)'.format(
                  100 * statistics.median(cost), *(100 * q for q in _quartiles(cost))))

        for name in ('stock-tube', 'hand-arm', f'hand-arm x{args.repeats[-1]}'):
            table = stage_table(datasets[name], max(1, args.rounds // 2))
            total = sum(table.values())
            parts = ', '.join(f'{k} {v:.1f}' for k, v in sorted(table.items(),
                                                                  key=lambda kv: -kv[1]))
            print(f'\n{name}: {total:.1f} ms per clip in the transforms: {parts}')

        for workers in [w for w in args.workers if w > 0]:
            print(f'\nDataLoader, {workers} workers (batch 8, collate included):')
            for name, ds in datasets.items():
                rate = through_loader(ds, workers, args.batches)
                print(f'  {name:<16} {rate:8.1f} clips/s, {rate / workers:6.1f} per worker')


if __name__ == '__main__':
    main()
