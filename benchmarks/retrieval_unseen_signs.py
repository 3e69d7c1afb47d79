#!/usr/bin/env python
"""Signs from a few clips: gallery retrieval of demo signs no encoder was trained on (issue 26).

The 40-sign demo vocabulary (``tools/make_demo_data.py DIR --num-classes 40``) holds the main
job's 10 signs (classes 0-9) and 30 it never sees, labelled or not (10-39). For each of those 30,
``k`` clips of its training split make a :class:`~signmae_mm.apis.SignGallery` (nearest
prototype by cosine, as ``tools/recognize.py --gallery`` builds it) and its test clips are the
queries (30-way): top-1 and :func:`~signmae_mm.evaluation.retrieval_metrics` (recall at 1/5/10,
MRR, DCG). Embeddings, in rows:

* ``pretrained`` / ``finetuned``: the main job's encoders (``extract_features`` of the
  finetuning demo config with the pretraining or the finetuning checkpoint), one per seed;
* ``random``: the same encoder with random weights (``VisionTransformer``'s init, per seed);
* ``pixels``: the raw-pixel baseline's features (8 grey 28x28 frames and their differences);
* ``keypoints``: the sign annotation's upper body and hands (the generator's exact keypoints).

Each embedding is centred on the mean of the seen signs' training clips (a fixed, unlabelled
reference: what a user's own clips would give) before the cosine; ``--no-center`` compares raw
vectors. Seed ``i`` draws the gallery clips and pairs with the ``i``-th checkpoints. Every row
is appended to ``--out`` as a JSON line as it comes; rows already there are not run again.

Example (the main job's three runs, from the repository root)::

    python tools/make_demo_data.py data/demo_vocab40 --num-classes 40 --videos-per-class 30 \\
        --seed 1
    python benchmarks/retrieval_unseen_signs.py --data data/demo_vocab40 \\
        --pretrained RUN0/signmae-handarm_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth RUN1/... \\
        --finetuned RUN0/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_20.pth RUN1/... \\
        --out work_dirs/retrieval_unseen.jsonl
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FINETUNE_CFG = osp.join(REPO, 'configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py')
NUM_FRAMES = 8  # the demo configs' clip: 8 frames x interval 2 of the 16-frame videos


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True, help='a 40-sign demo set')
    p.add_argument('--seen', type=int, default=10, help='classes the encoders were trained on')
    p.add_argument('--pretrained', nargs='*', default=[], help='pretraining checkpoints, by seed')
    p.add_argument('--finetuned', nargs='*', default=[], help='finetuning checkpoints, by seed')
    p.add_argument('--config', default=FINETUNE_CFG, help='the encoders\' finetuning config')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--shots', type=int, nargs='+', default=[1, 3, 5])
    p.add_argument('--no-center', action='store_true', help='cosine of the raw embeddings')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', required=True, help='JSON lines, appended; done rows are skipped')
    return p.parse_args()


def _split(data: str, split: str) -> Tuple[List[str], List[str], np.ndarray]:
    entries = json.load(open(osp.join(data, f'{split}.json')))['data_list']
    videos = [osp.join(data, 'videos', e['filename']) for e in entries]
    anns = [osp.join(data, 'sign_ann', e['sign_ann']) for e in entries]
    return videos, anns, np.array([e['label'] for e in entries], dtype=np.int64)


def _embed(kind: str, seed: int, args, videos: List[str], anns: List[str]) -> np.ndarray:
    from signmae_mm.apis import extract_features
    from signmae_mm.evaluation import keypoint_features, pixel_features
    if kind == 'pixels':
        return np.stack([pixel_features(v, num_frames=NUM_FRAMES) for v in videos])
    if kind == 'keypoints':
        return np.stack([keypoint_features(a, num_frames=NUM_FRAMES) for a in anns])
    checkpoint = None
    if kind != 'random':
        checkpoint = getattr(args, kind)[args.seeds.index(seed)]
    torch.manual_seed(seed)  # the random encoder's init
    return extract_features(args.config, checkpoint, videos, progress=False).features


def _row(kind: str, seed: int, shots: int, feats: Dict[str, np.ndarray], labels: np.ndarray,
         is_train: np.ndarray, seen: int, center: bool) -> Dict:
    from signmae_mm.apis import SignFeatures, SignGallery
    from signmae_mm.evaluation import retrieval_metrics
    x = feats[kind]
    if center:
        x = x - x[is_train & (labels < seen)].mean(0)
    rng = np.random.default_rng(seed)
    unseen = np.arange(seen, labels.max() + 1)
    gallery_idx = np.concatenate([
        rng.choice(np.flatnonzero(is_train & (labels == c)), shots, replace=False)
        for c in unseen])
    query_idx = np.flatnonzero(~is_train & (labels >= seen))
    identity = dict(config=kind, checkpoint=None, embed_dim=int(x.shape[1]))
    support = SignFeatures(x[gallery_idx].astype(np.float32), [str(i) for i in gallery_idx],
                           labels[gallery_idx], identity)
    gallery = SignGallery.from_features(support,
                                        classes=[str(c) for c in range(labels.max() + 1)])
    scores = gallery.scores(x[query_idx].astype(np.float32))
    signs = np.array([int(s) for s in gallery.signs])
    metrics = retrieval_metrics(scores, labels[query_idx], signs)
    return dict(kind=kind, seed=seed, shots=shots, center=center, queries=len(query_idx),
                signs=len(unseen), **metrics)


def _table(rows: List[Dict], center: bool) -> str:
    kinds = [k for k in ('pretrained', 'finetuned', 'random', 'pixels', 'keypoints')
             if any(r['kind'] == k for r in rows)]
    shots = sorted({r['shots'] for r in rows})
    head = ['embedding'] + [f'{k}-shot top-1' for k in shots] + [
        f'{shots[-1]}-shot {m}' for m in ('R5', 'R10', 'MRR', 'DCG')]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]

    def cell(kind, k, metric):
        vals = [r[metric] for r in rows
                if r['kind'] == kind and r['shots'] == k and r['center'] == center]
        return f'{np.mean(vals):.1f} +- {np.std(vals):.1f} ({len(vals)})' if vals else '-'

    for kind in kinds:
        cells = [cell(kind, k, 'R1') for k in shots]
        cells += [cell(kind, shots[-1], m) for m in ('R5', 'R10', 'MRR', 'DCG')]
        lines.append(f'| {kind} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    args = _parse()
    torch.set_num_threads(args.threads)
    import signmae_mm  # noqa: F401  (registers the transforms)
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    center = not args.no_center
    done = []
    if osp.exists(args.out):
        done = [json.loads(line) for line in open(args.out) if line.strip()]
    out = open(args.out, 'a')
    train_v, train_a, train_y = _split(args.data, 'train')
    test_v, test_a, test_y = _split(args.data, 'test')
    videos, anns = train_v + test_v, train_a + test_a
    labels = np.concatenate([train_y, test_y])
    is_train = np.arange(len(labels)) < len(train_v)
    kinds = ['pixels', 'keypoints', 'random']
    kinds += [k for k in ('pretrained', 'finetuned') if getattr(args, k)]
    for kind in kinds:
        if kind in ('pretrained', 'finetuned') and len(getattr(args, kind)) < len(args.seeds):
            sys.exit(f'--{kind}: one checkpoint per seed ({len(args.seeds)}) is needed')
    cache: Dict[Tuple[str, Optional[int]], np.ndarray] = {}
    for seed in args.seeds:
        for kind in kinds:
            todo = [k for k in args.shots if not any(
                r['kind'] == kind and r['seed'] == seed and r['shots'] == k
                and r['center'] == center for r in done)]
            if not todo:
                continue
            key = (kind, None if kind in ('pixels', 'keypoints') else seed)
            if key not in cache:
                cache[key] = _embed(kind, seed, args, videos, anns)
            for k in todo:
                row = _row(kind, seed, k, {kind: cache[key]}, labels, is_train, args.seen,
                           center)
                out.write(json.dumps(row) + '\n')
                out.flush()
                done.append(row)
                print(json.dumps(row), flush=True)
    print(_table(done, center))


if __name__ == '__main__':
    main()
