"""Masking ablation on the built-in demo set: hand-arm vs tube vs random masking vs no pretraining.

For each seed, three pretraining runs that differ only in the mask (the demo configs
``configs/demo/signmae-{handarm,tube,random}_vit-tiny-p16_16x2x1_signdemo.py``: same model, data,
mask ratio and schedule, so equal compute), then the same finetuning of each pretrained encoder
(``configs/demo/vit-tiny-p16_signmae-handarm-pre_16x2x1_signdemo.py`` with the run's checkpoint)
and of a randomly initialised one (its twin ``vit-tiny-p16_scratch_16x2x1_signdemo.py``), each
tested on the demo test split. Every run goes through ``mim train`` / ``mim test``, as a user's.
Prints mean, standard deviation (over seeds) and range of per-instance and per-class top-1 for
each variant, and the paired differences to no pretraining.

Results are kept in ``WORK_DIR/results.json`` as they come; a second call with the same
``--work-dir`` and settings skips the runs already done (so an interrupted ablation resumes).

Example (from the repository root, environment active)::

    python benchmarks/ablate_masking.py --seeds 0 1 2
    python benchmarks/ablate_masking.py --seeds 0 1 2 3 4 --pretrain-epochs 20 \
        --finetune-epochs 20 --work-dir work_dirs/ablate_masking_long
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join('configs', 'demo')
PRETRAIN_CONFIGS = {
    'hand-arm': osp.join(DEMO, 'signmae-handarm_vit-tiny-p16_16x2x1_signdemo.py'),
    'tube': osp.join(DEMO, 'signmae-tube_vit-tiny-p16_16x2x1_signdemo.py'),
    'random': osp.join(DEMO, 'signmae-random_vit-tiny-p16_16x2x1_signdemo.py'),
}
FINETUNE_CONFIG = osp.join(DEMO, 'vit-tiny-p16_signmae-handarm-pre_16x2x1_signdemo.py')
SCRATCH_CONFIG = osp.join(DEMO, 'vit-tiny-p16_scratch_16x2x1_signdemo.py')
VARIANTS = ('hand-arm', 'tube', 'random', 'none')
METRICS = (('acc/per_instance_top1', 'per-instance top-1'),
           ('acc/per_class_top1', 'per-class top-1'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='training seeds (randomness.seed of every run)')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS,
                        help='pretraining masks to compare; "none" = no pretraining')
    parser.add_argument('--pretrain-epochs', type=int, default=None,
                        help='pretraining epochs (default: the demo config\'s)')
    parser.add_argument('--finetune-epochs', type=int, default=None,
                        help='finetuning epochs (default: the demo config\'s)')
    parser.add_argument('--data', default='data/demo',
                        help='demo set (tools/make_demo_data.py layout); generated if absent')
    parser.add_argument('--work-dir', default='work_dirs/ablate_masking',
                        help='folder of all runs and of results.json')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at a time; each gets cpu_count // jobs torch threads '
                        '(on 2 cores, 2 jobs of 1 thread train faster than 1 job of 2)')
    parser.add_argument('--keep-checkpoints', action='store_true',
                        help='keep every checkpoint (default: delete each once it is used)')
    return parser.parse_args()


def _config_schedule(config: str) -> Dict[str, int]:
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, config))
    warmup = cfg.param_scheduler[0]['end']
    return dict(epochs=cfg.train_cfg.max_epochs, warmup=warmup)


def schedule_options(epochs: int, warmup: int) -> List[str]:
    """``--cfg-options`` that set a demo config's warm-up + cosine schedule to ``epochs``.

    Args:
        epochs (int): Training epochs.
        warmup (int): Warm-up epochs of the config (shortened when ``epochs`` is small).

    Returns:
        list[str]: ``KEY=VALUE`` strings.
    """
    warmup = max(0, min(warmup, epochs - 1))
    options = [f'train_cfg.max_epochs={epochs}', f'default_hooks.checkpoint.interval={epochs}',
               f'param_scheduler.1.begin={warmup}', f'param_scheduler.1.T_max={epochs - warmup}',
               f'param_scheduler.1.end={epochs}']
    # LinearLR needs end > begin: with no warm-up it runs (as a no-op ramp) over one epoch
    options.append(f'param_scheduler.0.end={max(warmup, 1)}')
    return options


def data_options(data: str, splits: Sequence[str], sign_ann: bool = False) -> List[str]:
    """``--cfg-options`` that point the demo configs' dataloaders at another demo set."""
    if osp.normpath(data) == osp.normpath('data/demo'):
        return []
    options = []
    for split in splits:
        loader = f'{split}_dataloader.dataset'
        options += [f'{loader}.ann_file={data}/{split}.json',
                    f'{loader}.data_prefix.video={data}/videos']
        if sign_ann:
            options.append(f'{loader}.data_prefix.sign_ann={data}/sign_ann')
    return options


def _mim() -> str:
    mim = shutil.which('mim', path=osp.dirname(sys.executable)) or shutil.which('mim')
    if mim is None:
        raise SystemExit('`mim` (openmim) not found: activate the environment of '
                         'tools/install.sh')
    return mim


def run_mim(args: List[str], log_file: str, threads: Optional[int] = None) -> float:
    """Run ``mim ARGS`` in the repository root, output into ``log_file``; returns seconds.

    Args:
        args (list[str]): Arguments of ``mim``.
        log_file (str): Where its output goes.
        threads (int, optional): torch's intra-op threads (``OMP_NUM_THREADS``); None keeps
            the environment's.
    """
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    start = time.time()
    with open(log_file, 'w') as log:
        log.write(' '.join(['mim', *args]) + '\n')
        log.flush()
        proc = subprocess.run([_mim(), *args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                              env=env)
    if proc.returncode != 0:
        with open(log_file) as log:
            tail = log.read()[-4000:]
        raise RuntimeError(f'mim {args[0]} failed (exit {proc.returncode}), log {log_file}:\n'
                           f'{tail}')
    return time.time() - start


def _last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    return path if osp.isabs(path) else osp.join(REPO, path)


def _test_metrics(test_dir: str, since: float) -> Dict[str, float]:
    """The metrics that ``mim test`` wrote (``<work-dir>/<timestamp>/<timestamp>.json``)."""
    found = []
    for sub in os.listdir(test_dir):
        path = osp.join(test_dir, sub, f'{sub}.json')
        if osp.isfile(path) and osp.getmtime(path) >= since:
            found.append(path)
    if not found:
        raise RuntimeError(f'no test metrics written in {test_dir}')
    with open(sorted(found)[-1]) as f:
        return json.load(f)


def _remove(path: Optional[str]) -> None:
    if path and osp.isfile(path):
        os.remove(path)


class Ablation:
    """The runs of one ablation and their results (``results.json``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work_dir = osp.abspath(args.work_dir)
        pre = _config_schedule(PRETRAIN_CONFIGS['hand-arm'])
        ft = _config_schedule(FINETUNE_CONFIG)
        self.pretrain = dict(epochs=args.pretrain_epochs or pre['epochs'], warmup=pre['warmup'])
        self.finetune = dict(epochs=args.finetune_epochs or ft['epochs'], warmup=ft['warmup'])
        self.settings = dict(pretrain_epochs=self.pretrain['epochs'],
                             finetune_epochs=self.finetune['epochs'], data=args.data)
        self.threads = (max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None)
        self._lock = threading.Lock()
        self.results_file = osp.join(self.work_dir, 'results.json')
        self.results: Dict[str, dict] = {}
        if osp.isfile(self.results_file):
            with open(self.results_file) as f:
                saved = json.load(f)
            if saved.get('settings') != self.settings:
                # never overwrite results measured under other settings
                raise SystemExit(f'{self.results_file} holds results of other settings '
                                 f'({saved.get("settings")}, now {self.settings}); give '
                                 'another --work-dir')
            self.results = saved.get('runs', {})

    def _save(self) -> None:
        os.makedirs(self.work_dir, exist_ok=True)
        tmp = self.results_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(dict(settings=self.settings, runs=self.results), f, indent=1)
        os.replace(tmp, self.results_file)

    def pretrain_run(self, mask: str, seed: int) -> tuple:
        """Pretrain with ``mask``; returns (checkpoint, seconds)."""
        work = osp.join(self.work_dir, f'seed{seed}', f'pretrain_{mask}')
        options = [f'randomness.seed={seed}',
                   *schedule_options(self.pretrain['epochs'], self.pretrain['warmup']),
                   *data_options(self.args.data, ['train'], sign_ann=True)]
        seconds = run_mim(['train', 'mmaction', PRETRAIN_CONFIGS[mask], '--work-dir', work,
                           '--cfg-options', *options], osp.join(work, 'mim_train.log'),
                          self.threads)
        return _last_checkpoint(work), seconds

    def finetune_and_test(self, variant: str, seed: int, checkpoint: Optional[str]) -> dict:
        """Finetune (from ``checkpoint``, or from scratch) and test; returns the run's record."""
        work = osp.join(self.work_dir, f'seed{seed}', f'finetune_{variant}')
        config = SCRATCH_CONFIG if checkpoint is None else FINETUNE_CONFIG
        epochs = self.finetune['epochs']
        options = [f'randomness.seed={seed}',
                   *schedule_options(epochs, self.finetune['warmup']),
                   f'train_cfg.val_interval={epochs}',
                   *data_options(self.args.data, ['train', 'val'])]
        if checkpoint is not None:
            options.append(f'model.backbone.init_cfg.checkpoint={checkpoint}')
        train_s = run_mim(['train', 'mmaction', config, '--work-dir', work, '--cfg-options',
                           *options], osp.join(work, 'mim_train.log'), self.threads)
        finetuned = _last_checkpoint(work)
        test_dir = osp.join(work, 'test')
        start = time.time()
        test_options = data_options(self.args.data, ['test'])
        test_s = run_mim(['test', 'mmaction', config, '--checkpoint', finetuned, '--work-dir',
                          test_dir, *(['--cfg-options', *test_options] if test_options else [])],
                         osp.join(test_dir, 'mim_test.log'), self.threads)
        metrics = _test_metrics(test_dir, start - 1)
        if not self.args.keep_checkpoints:
            _remove(finetuned)
        return dict(variant=variant, seed=seed, finetune_seconds=round(train_s, 1),
                    test_seconds=round(test_s, 1),
                    **{key: metrics[key] for key, _ in METRICS},
                    per_instance_top5=metrics.get('acc/per_instance_top5'))

    def run_one(self, variant: str, seed: int) -> None:
        """Pretrain (unless ``variant`` is 'none'), finetune and test one (variant, seed)."""
        key = f'{variant}/seed{seed}'
        start = time.time()
        checkpoint, pretrain_s = None, 0.0
        if variant != 'none':
            print(f'[{key}] pretraining ({self.pretrain["epochs"]} epochs)', flush=True)
            checkpoint, pretrain_s = self.pretrain_run(variant, seed)
        print(f'[{key}] finetuning ({self.finetune["epochs"]} epochs) and testing', flush=True)
        record = self.finetune_and_test(variant, seed, checkpoint)
        record['pretrain_seconds'] = round(pretrain_s, 1)
        if not self.args.keep_checkpoints:
            _remove(checkpoint)
        with self._lock:
            self.results[key] = record
            self._save()
        print(f'[{key}] per-instance top-1 {100 * record[METRICS[0][0]]:.1f} %, '
              f'per-class top-1 {100 * record[METRICS[1][0]]:.1f} % '
              f'({time.time() - start:.0f} s)', flush=True)

    def run(self) -> None:
        """Run every (seed, variant) not in ``results.json`` yet, ``--jobs`` at a time."""
        todo = [(variant, seed) for seed in self.args.seeds for variant in self.args.variants
                if f'{variant}/seed{seed}' not in self.results]
        if self.args.jobs <= 1:
            for variant, seed in todo:
                self.run_one(variant, seed)
            return
        with ThreadPoolExecutor(self.args.jobs) as pool:
            for future in [pool.submit(self.run_one, v, s) for v, s in todo]:
                future.result()

    def report(self) -> str:
        """The table of mean, std and range over seeds, and paired differences to 'none'."""
        seeds = self.args.seeds
        lines = [f'Masking ablation on {self.args.data}: pretraining {self.pretrain["epochs"]} '
                 f'epochs (mask ratio 0.9, same model and schedule for every mask), finetuning '
                 f'{self.finetune["epochs"]} epochs, seeds {seeds}; test top-1 in %, '
                 'mean +- std over seeds [min, max]', '']
        header = f'{"pretraining":12s}' + ''.join(f' | {name:>27s}' for _, name in METRICS)
        header += ' | pretrain s | finetune s'
        lines += [header, '-' * len(header)]
        values: Dict[str, Dict[str, np.ndarray]] = {}
        for variant in self.args.variants:
            runs = [self.results.get(f'{variant}/seed{s}') for s in seeds]
            runs = [r for r in runs if r is not None]
            if not runs:
                continue
            row = f'{variant:12s}'
            values[variant] = {}
            for key, _ in METRICS:
                v = 100 * np.array([r[key] for r in runs])
                values[variant][key] = v
                std = v.std(ddof=1) if len(v) > 1 else 0.0
                row += f' | {v.mean():5.1f} +- {std:4.1f} [{v.min():5.1f}, {v.max():5.1f}]'
            row += (f' | {np.mean([r["pretrain_seconds"] for r in runs]):10.0f}'
                    f' | {np.mean([r["finetune_seconds"] for r in runs]):10.0f}')
            lines.append(row + (f'   (n={len(runs)})' if len(runs) != len(seeds) else ''))
        if 'none' in values:
            lines += ['', 'paired difference to no pretraining (same seed), percentage points, '
                      'mean +- std:']
            for variant in values:
                if variant == 'none':
                    continue
                row = f'{variant:12s}'
                for key, name in METRICS:
                    a, b = values[variant][key], values['none'][key]
                    if len(a) != len(b):
                        row += f' | {name}: unpaired'
                        continue
                    d = a - b
                    std = d.std(ddof=1) if len(d) > 1 else 0.0
                    row += f' | {name}: {d.mean():+5.1f} +- {std:4.1f}'
                lines.append(row)
        lines += ['', 'per seed (per-instance / per-class top-1):']
        for variant in values:
            per_seed = ', '.join(
                f's{s}: {100 * r[METRICS[0][0]]:.1f} / {100 * r[METRICS[1][0]]:.1f}'
                for s in seeds for r in [self.results.get(f'{variant}/seed{s}')] if r)
            lines.append(f'{variant:12s} {per_seed}')
        return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    os.chdir(REPO)
    if not all(osp.isfile(osp.join(args.data, f'{s}.json')) for s in ('train', 'val', 'test')):
        print(f'generating the demo set in {args.data}', flush=True)
        subprocess.run([sys.executable, osp.join('tools', 'make_demo_data.py'), args.data],
                       check=True)
    ablation = Ablation(args)
    start = time.time()
    ablation.run()
    report = ablation.report()
    print('\n' + report)
    with open(osp.join(ablation.work_dir, 'report.txt'), 'w') as f:
        f.write(report + '\n')
    print(f'\n{ablation.results_file}; this call took {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
