#!/usr/bin/env python
"""In-memory demo runs: pretraining (a mask), then frozen-encoder probes and finetuning, fast.

What `configs/demo/README.md` calls "in-memory runs": the demo set decoded once into memory, our
``VideoMAEPretrainer`` (``MaskedVisionTransformer`` + ``VideoMAEDecoder`` +
``PixelReconstructionHead``) pretrained on it with the hand-arm mask (``hand_arm_token_mask``;
``handarm_keep`` leaves the hands of ``--keep-slots`` random time slots visible, as
``SegmentGuidedHandMask(visible_slots=...)`` does), a tube or a random mask, or not at all
(``none``), then the two probes of ``tools/linear_probe.py`` (``classify_features`` on the
mean-pooled and on all token features) and a finetuning of mmaction2's ``VisionTransformer`` +
``TimeSformerHead`` with the demo's layer-decay AdamW, warm-up + cosine, label smoothing and
crops, scored on the test split per pair kind. One process, one thread by default, no
dataloader, no mim: a sweep of geometries, masks and schedules in minutes each, to choose what
the configs then run through ``mim train``. Every event is a JSON line appended to ``--out``.

Example (from the repository root, environment active, ``data/demo`` generated)::

    python benchmarks/demo_in_memory.py --patch 8 --tubelet 4 --mask handarm_keep \
        --ratio 0.75 --pre-clips 50000 --ft-clips 40000 --out work_dirs/in_memory.jsonl
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
p.add_argument('--data', default='data/demo')
p.add_argument('--cache-dir', default='work_dirs', help='where the decoded set is kept')
p.add_argument('--patch', type=int, default=8)
p.add_argument('--tubelet', type=int, default=4)
p.add_argument('--frames', type=int, default=8)
p.add_argument('--size', type=int, default=64)
p.add_argument('--crop', type=float, nargs=4, default=None, help='x y w h fraction crop before resize')
p.add_argument('--width', type=int, default=128)
p.add_argument('--depth', type=int, default=4)
p.add_argument('--dec-width', type=int, default=64)
p.add_argument('--dec-depth', type=int, default=2)
p.add_argument('--mask', default='handarm_keep',
               choices=('handarm', 'handarm_keep', 'tube', 'random', 'none'))
p.add_argument('--ratio', type=float, default=0.75)
p.add_argument('--keep-slots', type=int, default=1)
p.add_argument('--pre-clips', type=int, default=50000)
p.add_argument('--ft-clips', type=int, default=40000)
p.add_argument('--pre-lr', type=float, default=1.5e-3)
p.add_argument('--ft-lr', type=float, default=2e-3)
p.add_argument('--layer-decay', type=float, default=0.75)
p.add_argument('--bs', type=int, default=32)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--out', required=True, help='JSON lines, appended')
p.add_argument('--pool', default='mean')
p.add_argument('--time-only', action='store_true')
p.add_argument('--load-pre', default=None)
p.add_argument('--save-pre', default=None)
p.add_argument('--ft-warm', type=float, default=0.1)
p.add_argument('--ft-area', type=float, default=0.8)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed); np.random.seed(args.seed)

import signmae_mm  # noqa
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope
init_default_scope('mmaction')
from signmae_mm.ops.hand_arm import hand_arm_token_mask, hand_arm_coverage
from signmae_mm.ops.clip_geometry import ClipGeometry
from signmae_mm.datasets.transforms.masking import SegmentGuidedHandMask
from signmae_mm.evaluation.linear_classifier import classify_features
from signmae_mm.evaluation.pair_accuracy import load_pairs, pair_kind_accuracy

LOG = open(args.out, 'a')
def log(**kw):
    kw['t'] = time.time()
    LOG.write(json.dumps(kw) + '\n'); LOG.flush(); print(kw, flush=True)

# ---------------------------------------------------------------- data
os.makedirs(args.cache_dir, exist_ok=True)
cache = osp.join(args.cache_dir, f'demo_in_memory_{args.frames}f.npz')
def load_split(split):
    import cv2
    from signmae_mm.structures import load_sign_annotation
    entries = json.load(open(f'{args.data}/{split}.json'))['data_list']
    X, M, Y = [], [], []
    idx = np.arange(0, 16, 16 // args.frames)[:args.frames]
    for e in entries:
        cap = cv2.VideoCapture(f"{args.data}/videos/{e['filename']}")
        fr = []
        while True:
            ok, f = cap.read()
            if not ok: break
            fr.append(f[:, :, ::-1])
        fr = np.stack(fr)[idx]
        ann = load_sign_annotation(f"{args.data}/sign_ann/{e['sign_ann']}", frames=idx)
        X.append(fr); M.append(ann['part_maps']); Y.append(e['label'])
    return np.stack(X), np.stack(M), np.array(Y)
if not os.path.exists(cache):
    d = {}
    for s in ('train', 'val', 'test'):
        d[s + '_x'], d[s + '_m'], d[s + '_y'] = load_split(s)
    np.savez(cache, **d)
D = dict(np.load(cache))
log(event='data', shapes={k: v.shape for k, v in D.items() if k.endswith('_x')})

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
def to_input(x, crop=None, train=False):
    t = torch.from_numpy(x).permute(0, 4, 1, 2, 3).float()  # B C T H W
    B, C, T, H, W = t.shape
    if crop is not None:
        cx, cy, cw, ch = crop
        t = t[..., int(cy * H):int((cy + ch) * H), int(cx * W):int((cx + cw) * W)]
    if t.shape[-1] != args.size or t.shape[-2] != args.size:
        t = F.interpolate(t.flatten(1, 2), size=(args.size, args.size), mode='bilinear',
                          align_corners=False).view(B, C, T, args.size, args.size)
    return (t - MEAN) / STD

S = args.size
gp = S // args.patch
tslots = args.frames // args.tubelet
N = tslots * gp * gp
budget = int(round(args.ratio * N))
geom = ClipGeometry(crop=tuple(args.crop) if args.crop else (0., 0., 1., 1.), out_hw=(S, S), flip_h=False, flip_v=False)
hm = SegmentGuidedHandMask(ratio=args.ratio, tubelet_size=args.tubelet, patch_size=args.patch)
rng = np.random.default_rng(args.seed)
def make_masks(maps):
    out = np.zeros((len(maps), N), bool)
    for i, m in enumerate(maps):
        if args.mask in ('handarm', 'handarm_keep'):
            r = hand_arm_token_mask(m, geom, tslots, budget, hm.spec).mask
            if r is not None:
                mk = np.asarray(r).reshape(tslots, gp, gp).copy()
                if args.mask == 'handarm_keep':
                    cov = hand_arm_coverage(m, geom, tslots, hm.spec)
                    hand = cov[0] >= hm.spec.coverage_thr
                    keep = np.zeros_like(hand)
                    slots = rng.choice(tslots, args.keep_slots, replace=False)
                    keep[slots] = hand[slots]
                    n = int((mk & keep).sum())
                    mk[keep] = False
                    cand = np.flatnonzero(~mk.ravel() & ~keep.ravel())
                    flat = mk.reshape(-1)
                    flat[rng.choice(cand, n, replace=False)] = True
                    assert flat.sum() == budget
                out[i] = mk.reshape(-1); continue
        if args.mask in ('handarm', 'handarm_keep', 'tube'):
            sp = np.zeros(gp * gp, bool); sp[rng.choice(gp * gp, int(round(args.ratio * gp * gp)), replace=False)] = True
            # tube: same spatial mask; budget must equal
            mk = np.tile(sp, tslots)
            if mk.sum() != budget:
                mk = np.zeros(N, bool); mk[rng.choice(N, budget, replace=False)] = True
            out[i] = mk
        else:
            mk = np.zeros(N, bool); mk[rng.choice(N, budget, replace=False)] = True; out[i] = mk
    return out

block = dict(mlp_ratio=4, qkv_bias=True, norm_cfg=dict(type='LN', eps=1e-6))
heads = max(1, args.width // 32)
def build_pretrainer():
    return MODELS.build(dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='MaskedVisionTransformer', embed_dims=args.width, depth=args.depth,
                      num_heads=heads, img_size=S, num_frames=args.frames, patch_size=args.patch,
                      tubelet_size=args.tubelet, **block),
        neck=dict(type='VideoMAEDecoder', embed_dims=args.dec_width, depth=args.dec_depth,
                  num_heads=max(1, args.dec_width // 32), **block),
        head=dict(type='PixelReconstructionHead', norm_pix=True, loss=dict(type='MaskedMSELoss')),
        data_preprocessor=dict(type='MaskedVideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], format_shape='NCTHW')))

def build_recognizer():
    return MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='VisionTransformer', img_size=S, patch_size=args.patch, embed_dims=args.width,
                      depth=args.depth, num_heads=heads, mlp_ratio=4, qkv_bias=True, num_frames=args.frames,
                      tubelet_size=args.tubelet, norm_cfg=dict(type='LN', eps=1e-6), drop_path_rate=0.,
                      use_mean_pooling=True),
        cls_head=dict(type='TimeSformerHead', num_classes=10, in_channels=args.width, average_clips='prob',
                      loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0), label_smooth_eps=0.1),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))

def cosine(step, total, warm):
    if step < warm: return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

def crop_aug(x_np, area=(0.8, 1.0)):
    # random resized crop on the batch (one box per clip), as torch ops
    out = []
    for x in x_np:
        a = rng.uniform(*area); ar = rng.uniform(0.9, 1.1)
        w = min(1., math.sqrt(a * ar)); h = min(1., math.sqrt(a / ar))
        cx = rng.uniform(0, 1 - w); cy = rng.uniform(0, 1 - h)
        out.append(to_input(x[None], crop=(cx, cy, w, h)))
    return torch.cat(out)

# ---------------------------------------------------------------- pretraining
trX, trM, trY = D['train_x'], D['train_m'], D['train_y']
teX, teY = D['test_x'], D['test_y']
pre_state = None
if args.load_pre:
    pre_state = torch.load(args.load_pre)
elif args.mask != 'none':
    model = build_pretrainer(); model.init_weights(); model.train()
    decay, no_decay = [], []
    for n_, p_ in model.named_parameters():
        (no_decay if p_.ndim == 1 or 'pos_embed' in n_ or 'token' in n_ else decay).append(p_)
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=no_decay, weight_decay=0.)],
                            lr=args.pre_lr, betas=(0.9, 0.95))
    steps = args.pre_clips // args.bs
    t0 = time.time(); losses = []
    for step in range(steps):
        for g in opt.param_groups: g['lr'] = args.pre_lr * cosine(step, steps, max(1, steps // 13))
        idx = rng.integers(0, len(trX), args.bs)
        inp = to_input(trX[idx], crop=args.crop)
        masks = torch.from_numpy(make_masks(trM[idx]))
        loss = model(inp, None, mode='loss', masks=masks)['loss_rec']
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == steps - 1:
            log(event='pre', step=step, steps=steps, loss=float(np.mean(losses[-50:])),
                sec=time.time() - t0, clips_s=(step + 1) * args.bs / (time.time() - t0))
        if args.time_only and step == 30:
            log(event='pre_speed', clips_s=31 * args.bs / (time.time() - t0)); break
    pre_state = {k[len('backbone.'):]: v for k, v in model.state_dict().items() if k.startswith('backbone.')}
    pre_seconds = time.time() - t0
    if args.save_pre: torch.save(pre_state, args.save_pre)

# ---------------------------------------------------------------- probes
rec = build_recognizer(); rec.init_weights()
if pre_state is not None:
    res = rec.backbone.load_state_dict(pre_state, strict=False)
    log(event='load', missing=res.missing_keys, unexpected=res.unexpected_keys)

@torch.no_grad()
def feats(model, X, tokens=False):
    model.eval(); out = []
    for i in range(0, len(X), 64):
        inp = to_input(X[i:i + 64], crop=args.crop)
        bb = model.backbone
        if tokens:
            got = []
            h = bb.blocks[-1].register_forward_hook(lambda m, i, o: got.append(o))
            bb(inp); h.remove()
            out.append(got[0].flatten(1).numpy())
        else:
            out.append(bb(inp).numpy())
    return np.concatenate(out)
pairs, names = load_pairs([f'{args.data}/test.json'])
if not args.time_only:
    for kind in ('mean', 'tokens'):
        t0 = time.time()
        r = classify_features(feats(rec, trX, kind == 'tokens'), trY, feats(rec, teX, kind == 'tokens'), teY,
                              ann_files=[f'{args.data}/test.json', f'{args.data}/train.json'])
        log(event='probe', kind=kind, **{k: float(v) for k, v in r.items() if k.startswith('acc/')}, sec=time.time() - t0)

# ---------------------------------------------------------------- finetuning
from mmengine.optim import build_optim_wrapper
ow = build_optim_wrapper(rec, dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=args.ft_lr, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=args.layer_decay, decay_type='layer_wise', num_layers=args.depth),
    clip_grad=dict(max_norm=5, norm_type=2))) if args.layer_decay < 1 else build_optim_wrapper(rec, dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=args.ft_lr, betas=(0.9, 0.999), weight_decay=0.05)))
for g in ow.optimizer.param_groups: g['initial_lr'] = g['lr']
steps = args.ft_clips // args.bs
t0 = time.time(); rec.train(); losses = []
for step in range(steps):
    for g in ow.optimizer.param_groups: g['lr'] = g['initial_lr'] * cosine(step, steps, max(1, int(steps * args.ft_warm)))
    idx = rng.integers(0, len(trX), args.bs)
    inp = crop_aug(trX[idx], (args.ft_area, 1.0)) if args.ft_area < 1 else to_input(trX[idx], crop=args.crop)
    x = rec.backbone(inp)
    logits = rec.cls_head(x)
    y = torch.from_numpy(trY[idx]).long()
    loss = F.cross_entropy(logits, y, label_smoothing=0.1)
    ow.update_params(loss)
    losses.append(loss.item())
    if step % 100 == 0 or step == steps - 1:
        log(event='ft', step=step, steps=steps, loss=float(np.mean(losses[-50:])), sec=time.time() - t0,
            clips_s=(step + 1) * args.bs / (time.time() - t0))
    if args.time_only and step == 30:
        log(event='ft_speed', clips_s=31 * args.bs / (time.time() - t0)); sys.exit(0)
rec.eval()
with torch.no_grad():
    scores = []
    for i in range(0, len(teX), 64):
        scores.append(F.softmax(rec.cls_head(rec.backbone(to_input(teX[i:i + 64], crop=args.crop))), -1).numpy())
scores = np.concatenate(scores)
acc = float((scores.argmax(1) == teY).mean())
pk = pair_kind_accuracy(scores, teY, pairs, names)
log(event='final', acc=acc, **{k: float(v) for k, v in pk.items()}, ft_sec=time.time() - t0, args=vars(args))
