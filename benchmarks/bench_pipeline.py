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

For each it prints, in this process (one worker's work): clips/s by this process's CPU time
(what one core gives, robust to other load on the machine) and by the wall clock (medians of
``--rounds`` rounds over the videos; in each round every pipeline runs once, in a rotated order),
the medians of the per-round ratios to ``stock-tube`` and to ``hand-arm``, and ms per clip in
each transform; then, through a real ``DataLoader`` (batch 8, collate included) with
``--workers`` worker processes: clips/s by the wall clock, per worker core by the workers' CPU
time (including handing the clips to the training process), and the training process's CPU ms
per clip. ``--codec vp8`` writes the camera-like videos inter-frame coded, as web video is
(mp4v from OpenCV is what the tests and demo use).

Example::

    python benchmarks/bench_pipeline.py --rounds 5 --repeats 4 --workers 1 2
"""
import argparse
import os
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
    parser.add_argument('--codec', choices=('mp4v', 'vp8'), default='mp4v',
                        help='codec of the camera-like videos: mp4v (MPEG-4 part 2) or vp8 '
                        '(inter-frame coded, as web video; VP9 encodes too slowly here)')
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


def _write_vp8(path: str, frames, fps: float) -> None:
    """Write frames as VP8 (an inter-frame codec, as web video is; the file keeps its name:
    decoders read the container, not the extension)."""
    import cv2
    tmp = path + '.webm'
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'VP80'), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f'cv2.VideoWriter cannot write VP8 here ({tmp}); use --codec mp4v')
    for frame in frames:
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)


def camera_like(video_root: str, seed: int = 0, codec: str = 'mp4v') -> None:
    """Write every video again over a fixed texture with per-frame sensor noise (same size,
    frames and signer, so the sign annotations still fit), with ``codec``."""
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
        if codec == 'vp8':
            _write_vp8(path, noisy, fps)
        else:
            write_video(path, np.stack(noisy), fps)


def in_process(datasets: Dict[str, object], rounds: int) -> Dict[str, Dict[str, List[float]]]:
    """Per round and dataset: clips/s by the wall clock and by this process's CPU time (one
    core's worth of work; robust to other load on the machine). Every round runs each dataset
    once, in a rotated order."""
    speeds = {'wall': defaultdict(list), 'cpu': defaultdict(list)}
    for ds in datasets.values():  # warm-up: page cache, first decoder and loader calls
        ds[0]
    names = list(datasets)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            ds = datasets[name]
            start, cpu, clips = time.perf_counter(), time.process_time(), 0
            for i in range(len(ds)):
                clips += clips_of(ds[i])
            speeds['wall'][name].append(clips / (time.perf_counter() - start))
            speeds['cpu'][name].append(clips / (time.process_time() - cpu))
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def through_loader(ds, workers: int, batches: int) -> Dict[str, float]:
    """Clips/s through a DataLoader (batch 8, shuffled, persistent workers), after warm-up: by
    the wall clock, and per worker by the workers' CPU time (what one core of workers gives,
    including handing the clips to the training process); ``main_ms``: the training
    process's CPU ms per clip to receive them."""
    from mmengine.dataset import DefaultSampler
    from torch.utils.data import DataLoader

    from signmae_mm.datasets import flatten_views_collate
    loader = DataLoader(ds, batch_size=8, num_workers=workers, persistent_workers=True,
                        sampler=DefaultSampler(ds, shuffle=True, seed=0),
                        collate_fn=flatten_views_collate, drop_last=False)
    iterator, clips = iter(loader), 0
    for _ in range(2):  # warm-up: worker start, first videos
        batch = next(iterator, None) or next(iter(loader))
    pids = [w.pid for w in iterator._workers]
    start, main = time.perf_counter(), time.process_time()
    cpu = [_cpu_seconds(pid) for pid in pids]
    for _ in range(batches):
        batch = next(iterator, None)
        if batch is None:  # pragma: no cover - the sampler's epoch ended
            iterator = iter(loader)
            batch = next(iterator)
        clips += len(batch['inputs'])
    wall = time.perf_counter() - start
    worker_cpu = sum(_cpu_seconds(pid) - c for pid, c in zip(pids, cpu))
    main_ms = 1000 * (time.process_time() - main) / clips
    # workers ran ahead of the timed batches by their prefetch: a small overcount of their time
    return dict(wall=clips / wall, per_worker_cpu=clips / worker_cpu, main_ms=main_ms)


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
    import cv2
    torch.set_num_threads(1)  # a data worker's share of the machine
    cv2.setNumThreads(0)  # sequential, as mmengine's Runner sets it (opencv_num_threads=0)
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIG)
    with tempfile.TemporaryDirectory() as root:
        start = time.time()
        per_class = -(-args.videos * 6 // 4 // 2)  # train gets 4 of 6: >= --videos train videos
        demo = write_demo_dataset(root, num_classes=2, videos_per_class=per_class,
                                  num_frames=args.frames, size=tuple(args.size), seed=1,
                                  workers=2)
        if args.content == 'camera':
            camera_like(demo.video_prefix, codec=args.codec)
        print(f'{demo.counts["train"]} training videos of {args.size[0]}x{args.size[1]}, '
              f'{args.frames} frames ({args.content}, {args.codec}), made in '
              f'{time.time() - start:.0f} s; '
              'clips of 16 x interval 4 at 224 px; 1 torch thread')
        lines = pipelines(cfg)
        datasets = {name: build_dataset(cfg, p, demo) for name, p in lines.items()}
        for n in args.repeats:
            datasets[f'hand-arm x{n}'] = build_dataset(cfg, lines['hand-arm'], demo, n)
        speeds = in_process(datasets, args.rounds)

        def ratio(clock: str, name: str, to: str) -> float:
            return statistics.median(
                a / b for a, b in zip(speeds[clock][name], speeds[clock][to]))

        print(f'\nin one process (median of {args.rounds} rounds of {demo.counts["train"]} '
              'videos each; ratios: medians of the per-round ratios):')
        print(f'  {"pipeline":<16} {"clips/s cpu":>12} {"ms/clip cpu":>12} {"vs stock":>9} '
              f'{"vs hand-arm":>12} {"clips/s wall":>13} {"vs stock":>9} {"vs hand-arm":>12}')
        for name in datasets:
            cpu, wall = (statistics.median(speeds[c][name]) for c in ('cpu', 'wall'))
            print(f'  {name:<16} {cpu:12.1f} {1000 / cpu:12.2f} '
                  f'{ratio("cpu", name, "stock-tube"):8.2f}x '
                  f'{ratio("cpu", name, "hand-arm"):11.2f}x {wall:13.1f} '
                  f'{ratio("wall", name, "stock-tube"):8.2f}x '
                  f'{ratio("wall", name, "hand-arm"):11.2f}x')
        for clock in ('cpu', 'wall'):
            cost = [b / a - 1 for a, b in zip(speeds[clock]['hand-arm'],
                                               speeds[clock]['stock-tube'])]
            print('  hand-arm costs {:+.1f} % per clip over stock-tube by {} time (quartiles of '
                  'the rounds {:+.1f} / {:+.1f} %)'.format(
                      100 * statistics.median(cost), clock,
                      *(100 * q for q in _quartiles(cost))))

        for name in ('stock-tube', 'hand-arm', f'hand-arm x{args.repeats[-1]}'):
            table = stage_table(datasets[name], max(1, args.rounds // 2))
            total = sum(table.values())
            parts = ', '.join(f'{k} {v:.1f}' for k, v in sorted(table.items(),
                                                                  key=lambda kv: -kv[1]))
            print(f'\n{name}: {total:.1f} ms per clip in the transforms: {parts}')

        for workers in [w for w in args.workers if w > 0]:
            print(f'\nDataLoader, {workers} workers (batch 8, collate included): clips/s by the '
                  'wall clock; per worker by the workers\' CPU time; the training process\'s '
                  'CPU ms per clip:')
            rates = {name: through_loader(ds, workers, args.batches)
                     for name, ds in datasets.items()}
            for name, rate in rates.items():
                print(f'  {name:<16} {rate["wall"]:8.1f} clips/s, '
                      f'{rate["wall"] / workers:6.1f} per worker; '
                      f'{rate["per_worker_cpu"]:6.1f} per worker core '
                      f'({rate["per_worker_cpu"] / rates["hand-arm"]["per_worker_cpu"]:.2f}x '
                      f'hand-arm); main {rate["main_ms"]:.2f} ms/clip')

if __name__ == '__main__':
    main()
