"""Masking ablation on the built-in demo set: hand-arm vs tube vs random masking vs no pretraining.

For each seed and mask ratio, pretraining runs that differ only in the mask (the demo configs
``configs/demo/signmae-{handarm,tube,random}_vit-tiny-p8_8x2x1_signdemo.py``: same model, data,
mask ratio and schedule, so equal compute), then, for each pretrained encoder and for a randomly
initialised one ("none"):

* the same finetuning (``configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py`` with
  the run's checkpoint, or its twin ``vit-tiny-p8_scratch_8x2x1_signdemo.py``) and a test on
  the demo test split, through ``mim train`` / ``mim test`` as a user's;
* frozen-encoder linear probes (``tools/linear_probe.py``: the encoder's features of the
  training and test clips, mean-pooled and all tokens, classified by a logistic regression), the
  standard self-supervised evaluation, cheaper and more sensitive to what pretraining learned.

Prints mean, standard deviation (over seeds) and range of per-instance and per-class top-1 and of
the accuracy on the shape pairs and the motion pairs (classes that differ only in the hand shape,
or only in a late part of the motion), for the finetuning and the probe, and the paired
differences (same seed) to no pretraining.

One script of about 450 lines on purpose: a benchmark that a user copies and runs as a whole
(runs, resume, report), not a module of the package.

Results are kept in ``WORK_DIR/results.json`` as they come; a second call with the same
``--work-dir`` and settings skips the runs already done (so an interrupted ablation resumes).

Example (from the repository root, environment active)::

    # the demo configs' schedules and mask ratio: 3 seeds x (hand-arm, tube, none)
    python benchmarks/ablate_masking.py --seeds 0 1 2 --masks hand-arm tube none \
        --mask-ratios 0.75 --jobs 2
    # half schedules, the 0.9 ratio only, two runs at a time (one torch thread each)
    python benchmarks/ablate_masking.py --seeds 0 1 2 --mask-ratios 0.9 --pretrain-epochs 13 \
        --finetune-epochs 10 --jobs 2 --work-dir work_dirs/ablate_masking_half
"""
import argparse
import glob
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
FINETUNE_CONFIG = osp.join(DEMO, 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py')
SCRATCH_CONFIG = osp.join(DEMO, 'vit-tiny-p8_scratch_8x2x1_signdemo.py')


def demo_pretrain_configs() -> Dict[str, str]:
    """The demo's pretraining config of each token mask, by the mask's name.

    Every ``configs/demo/signmae-*_signdemo.py`` whose train pipeline has one registered token
    mask (``signmae_mm.datasets.transforms.token_masks``), named by its ``mask_type`` with
    dashes (``hand_arm`` -> ``hand-arm``): a new mask is compared once it has its class and
    its demo config.
    """
    import signmae_mm  # noqa: F401  (compat fixes, registers our masks)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.datasets.transforms import token_masks
    init_default_scope('mmaction')
    by_type = {cls.__name__: name for name, cls in token_masks().items()}
    found = {}
    for path in sorted(glob.glob(osp.join(REPO, DEMO, 'signmae-*_signdemo.py'))):
        pipeline = Config.fromfile(path).train_dataloader.dataset.pipeline
        masks = [by_type[t['type']] for t in pipeline if t['type'] in by_type]
        if len(masks) == 1:
            found[masks[0].replace('_', '-')] = osp.relpath(path, REPO)
    return found


PRETRAIN_CONFIGS = demo_pretrain_configs()
MASKS = (*PRETRAIN_CONFIGS, 'none')
METRICS = (('acc/per_instance_top1', 'top-1'), ('acc/per_class_top1', 'per-class'),
           ('acc/shape_pairs_top1', 'shape pairs'), ('acc/motion_pairs_top1', 'motion pairs'))
#: What each run is evaluated by: finetuning (``ft``) and the frozen-encoder probe (``probe``).
EVALS = (('ft', 'finetuned'), ('probe', 'linear probe, mean-pooled'),
         ('probe_tokens', 'linear probe, all tokens'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='training seeds (randomness.seed of every run)')
    parser.add_argument('--masks', nargs='+', default=list(MASKS), choices=MASKS,
                        help='pretraining masks to compare; "none" = no pretraining')
    parser.add_argument('--mask-ratios', type=float, nargs='+', default=[0.75, 0.9],
                        help='mask ratios of the pretraining runs (each mask at each ratio)')
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


def variant_name(mask: str, ratio: Optional[float]) -> str:
    """``'hand-arm@0.9'``, or ``'none'`` for no pretraining."""
    return 'none' if mask == 'none' else f'{mask}@{ratio:g}'


def mask_ratio_option(config: str, ratio: float) -> str:
    """The ``--cfg-options`` entry that sets the ratio of a pretraining config's mask transform."""
    from mmengine.config import Config

    from signmae_mm.datasets.transforms import is_token_mask
    pipeline = Config.fromfile(osp.join(REPO, config)).train_dataloader.dataset.pipeline
    index = [i for i, t in enumerate(pipeline) if is_token_mask(t)]
    if len(index) != 1:
        raise ValueError(f'{config}: expected one mask transform in the train pipeline, got '
                         f'{[pipeline[i]["type"] for i in index]}')
    return f'train_dataloader.dataset.pipeline.{index[0]}.ratio={ratio}'


def _prediction_metrics(predictions: str, ann_file: str) -> Dict[str, float]:
    """Accuracy per kind of pair of the predictions that ``mim test --dump`` wrote."""
    from mmengine.fileio import load

    from signmae_mm.evaluation import load_pairs, pair_kind_accuracy
    pairs, classes = load_pairs([ann_file])
    if not pairs:
        return {}
    preds = load(predictions)
    scores = np.stack([np.asarray(p['pred_score']) for p in preds])
    labels = np.array([int(p['gt_label']) for p in preds])
    return pair_kind_accuracy(scores, labels, pairs, classes)


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
        self.variants = [variant_name(m, r) for m in args.masks
                         for r in ([None] if m == 'none' else args.mask_ratios)]
        # read the configs here, in one thread: mmengine's Config.fromfile is not thread-safe
        self.ratio_options = {(m, r): mask_ratio_option(PRETRAIN_CONFIGS[m], r)
                              for m in args.masks if m != 'none' for r in args.mask_ratios}
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

    def pretrain_run(self, mask: str, ratio: float, seed: int) -> tuple:
        """Pretrain with ``mask`` at ``ratio``; returns (checkpoint, seconds)."""
        work = osp.join(self.work_dir, f'seed{seed}', f'pretrain_{variant_name(mask, ratio)}')
        config = PRETRAIN_CONFIGS[mask]
        options = [f'randomness.seed={seed}', self.ratio_options[(mask, ratio)],
                   *schedule_options(self.pretrain['epochs'], self.pretrain['warmup']),
                   *data_options(self.args.data, ['train'], sign_ann=True)]
        seconds = run_mim(['train', 'mmaction', config, '--work-dir', work, '--cfg-options',
                           *options], osp.join(work, 'mim_train.log'), self.threads)
        return _last_checkpoint(work), seconds

    def finetune_and_test(self, variant: str, seed: int, checkpoint: Optional[str]) -> dict:
        """Finetune (from ``checkpoint``, or from scratch) and test; returns the metrics."""
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
        predictions = osp.join(test_dir, 'predictions.pkl')
        start = time.time()
        test_options = data_options(self.args.data, ['test'])
        test_s = run_mim(['test', 'mmaction', config, '--checkpoint', finetuned, '--work-dir',
                          test_dir, '--dump', predictions,
                          *(['--cfg-options', *test_options] if test_options else [])],
                         osp.join(test_dir, 'mim_test.log'), self.threads)
        metrics = _test_metrics(test_dir, start - 1)
        metrics.update(_prediction_metrics(predictions, osp.join(self.args.data, 'test.json')))
        if not self.args.keep_checkpoints:
            _remove(finetuned)
        return dict(metrics, seconds=round(train_s, 1), test_seconds=round(test_s, 1))

    def probe(self, variant: str, seed: int, checkpoint: Optional[str]) -> Dict[str, dict]:
        """Frozen-encoder linear probes (``tools/linear_probe.py``), mean-pooled and on all
        tokens; returns their metrics by pooling."""
        work = osp.join(self.work_dir, f'seed{seed}', f'probe_{variant}')
        os.makedirs(work, exist_ok=True)
        out = osp.join(work, 'probe.json')
        data = self.args.data
        cmd = [sys.executable, osp.join('tools', 'linear_probe.py'), FINETUNE_CONFIG,
               checkpoint or 'none', f'{data}/train.json', f'{data}/test.json',
               '--video-prefix', f'{data}/videos', '--seed', str(seed), '--pooling', 'mean',
               'tokens', '--out', out]
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        if self.threads is not None:
            env.update(OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads))
        start = time.time()
        with open(osp.join(work, 'probe.log'), 'w') as log:
            proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f'linear probe failed (exit {proc.returncode}), log '
                               f'{osp.join(work, "probe.log")}')
        with open(out) as f:
            probes = json.load(f)['probes']
        seconds = round(time.time() - start, 1)
        return {pooling: dict({k: v for k, v in metrics.items() if k.startswith('acc/')},
                              seconds=seconds) for pooling, metrics in probes.items()}

    def run_one(self, variant: str, seed: int) -> None:
        """Pretrain (unless ``variant`` is 'none'), then finetune + test and probe."""
        key = f'{variant}/seed{seed}'
        start = time.time()
        checkpoint, pretrain_s = None, 0.0
        if variant != 'none':
            mask, ratio = variant.split('@')
            print(f'[{key}] pretraining ({self.pretrain["epochs"]} epochs)', flush=True)
            ratio = next(r for r in self.args.mask_ratios if f'{r:g}' == ratio)
            checkpoint, pretrain_s = self.pretrain_run(mask, ratio, seed)
        print(f'[{key}] linear probe', flush=True)
        probe = self.probe(variant, seed, checkpoint)
        print(f'[{key}] finetuning ({self.finetune["epochs"]} epochs) and testing', flush=True)
        ft = self.finetune_and_test(variant, seed, checkpoint)
        if not self.args.keep_checkpoints:
            _remove(checkpoint)
        record = dict(variant=variant, seed=seed, pretrain_seconds=round(pretrain_s, 1),
                      ft=ft, probe=probe['mean'], probe_tokens=probe['tokens'])
        with self._lock:
            self.results[key] = record
            self._save()
        print(f'[{key}] finetuned top-1 {100 * ft[METRICS[0][0]]:.1f} %, linear probe top-1 '
              f'{100 * probe["mean"][METRICS[0][0]]:.1f} % (mean-pooled), '
              f'{100 * probe["tokens"][METRICS[0][0]]:.1f} % (all tokens) '
              f'({time.time() - start:.0f} s)', flush=True)

    def run(self) -> None:
        """Run every (seed, variant) not in ``results.json`` yet, ``--jobs`` at a time."""
        todo = [(variant, seed) for seed in self.args.seeds for variant in self.variants
                if f'{variant}/seed{seed}' not in self.results]
        if self.args.jobs <= 1:
            for variant, seed in todo:
                self.run_one(variant, seed)
            return
        with ThreadPoolExecutor(self.args.jobs) as pool:
            futures = [pool.submit(self.run_one, v, s) for v, s in todo]
            failed = [e for e in (f.exception() for f in futures) if e is not None]
        if failed:  # the others ran to the end and are saved; say what did not
            raise RuntimeError(f'{len(failed)} of {len(todo)} runs failed; first: {failed[0]}')

    def _values(self, variant: str, evaluation: str, key: str) -> Dict[int, float]:
        out = {}
        for seed in self.args.seeds:
            run = self.results.get(f'{variant}/seed{seed}')
            if run is not None and key in run.get(evaluation, {}):
                out[seed] = 100 * run[evaluation][key]
        return out

    def report(self) -> str:
        """Tables of mean, std and range over seeds, and paired differences to 'none'."""
        seeds = self.args.seeds
        test_size = None
        ann = osp.join(self.args.data, 'test.json')
        if osp.isfile(ann):
            with open(ann) as f:
                test_size = len(json.load(f)['data_list'])
        lines = [f'Masking ablation on {self.args.data} ({test_size} test videos): pretraining '
                 f'{self.pretrain["epochs"]} epochs (same model, data and schedule for every '
                 f'mask), finetuning {self.finetune["epochs"]} epochs, seeds {seeds}; test '
                 'accuracy in %, mean +- std over seeds [min, max]']
        for evaluation, title in EVALS:
            header = f'{"pretraining":15s}' + ''.join(f' | {name:>24s}' for _, name in METRICS)
            lines += ['', f'{title}:', header, '-' * len(header)]
            for variant in self.variants:
                row, n = f'{variant:15s}', 0
                for key, _ in METRICS:
                    v = np.array(list(self._values(variant, evaluation, key).values()))
                    n = max(n, len(v))
                    if len(v) == 0:
                        row += f' | {"-":>24s}'
                        continue
                    std = v.std(ddof=1) if len(v) > 1 else 0.0
                    row += f' | {v.mean():5.1f} +- {std:4.1f} [{v.min():5.1f}, {v.max():5.1f}]'
                if n:
                    lines.append(row + (f'   (n={n})' if n != len(seeds) else ''))
            # paired differences (same seed) to no pretraining, and of hand-arm to the others
            for ref in ('none', *[v for v in self.variants if v.startswith('hand-arm')]):
                others = [v for v in self.variants if v != ref and ref in self.variants
                          and (ref == 'none' or v != 'none' and v.split('@')[1] ==
                               ref.split('@')[1])]
                if others:
                    lines += self._paired(title, ref, others, evaluation)
        return '\n'.join(lines + self._per_seed())

    def _paired(self, title: str, ref: str, variants: List[str], evaluation: str) -> List[str]:
        """Rows of ``variant - ref`` per metric, paired by seed."""
        lines = ['', f'{title}, paired difference to {ref} (same seed), percentage points, '
                 'mean +- std [min, max]:']
        for variant in variants:
            row, any_pair = f'{variant:15s}', False
            for key, name in METRICS:
                a = self._values(variant, evaluation, key)
                b = self._values(ref, evaluation, key)
                d = np.array([a[s] - b[s] for s in a if s in b])
                if len(d) == 0:
                    row += f' | {name}: -'
                    continue
                any_pair = True
                std = d.std(ddof=1) if len(d) > 1 else 0.0
                row += (f' | {name}: {d.mean():+5.1f} +- {std:4.1f} '
                        f'[{d.min():+5.1f}, {d.max():+5.1f}]')
            if any_pair:
                lines.append(row)
        return lines

    def _per_seed(self) -> List[str]:
        lines = ['', 'per seed (finetuned / mean-pooled probe / all-token probe top-1):']
        for variant in self.variants:
            ft = self._values(variant, 'ft', METRICS[0][0])
            probe = self._values(variant, 'probe', METRICS[0][0])
            tokens = self._values(variant, 'probe_tokens', METRICS[0][0])
            if ft:
                lines.append(f'{variant:15s} ' + ', '.join(
                    f's{s}: {ft[s]:.1f} / {probe.get(s, float("nan")):.1f} / '
                    f'{tokens.get(s, float("nan")):.1f}' for s in ft))
        times = [r['pretrain_seconds'] for r in self.results.values() if r['pretrain_seconds']]
        ft_times = [r['ft']['seconds'] for r in self.results.values()]
        if ft_times:
            lines += ['', f'median seconds: pretraining {np.median(times) if times else 0:.0f}, '
                      f'finetuning {np.median(ft_times):.0f}']
        return lines


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
