#!/usr/bin/env bash
# The main job of signmae_mm, on the CPU, through the entry points a user would use:
#   1. generate the built-in demo set if absent (tools/make_demo_data.py -> data/demo),
#   2. SignMAE hand-arm pretraining of a tiny ViT      (mim train, configs/demo/signmae-handarm_*),
#   3. finetuning of its encoder in mmaction2's stock
#      Recognizer3D + VisionTransformer                (mim train, configs/demo/vit-tiny-*-pre_*),
#   4. testing on the demo test split                  (mim test),
#   5. the raw-pixel linear baseline on the same split (tools/pixel_baseline.py),
#   6. frozen-encoder linear probes, mean-pooled and on all tokens, of the pretrained encoder
#      and of a random one                             (tools/linear_probe.py),
#   7. a reconstruction picture of test clips of the shape pairs
#                                                      (tools/visualize_reconstruction.py),
# then prints per-instance top-1/top-5, per-class top-1 and the accuracy on the shape and motion
# pairs of the model beside the baseline's, the probes, and how large a hand is in tokens.
#
# Usage (from anywhere, with the environment of tools/install.sh active so that `mim` is found):
#   bash tools/run_demo.sh [extra --cfg-options for both training runs]
# Extra arguments go to both `mim train` runs (e.g. --cfg-options randomness.seed=1).
# Environment: SIGNMAE_DEMO_DATA=DIR uses another demo set (default data/demo, generated when
# absent, in the layout of tools/make_demo_data.py); SIGNMAE_DEMO_WORK_DIR=DIR puts the runs in
# DIR/<config name> (default work_dirs, mim's default).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PRETRAIN_CFG=configs/demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py
FINETUNE_CFG=configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py
DATA="${SIGNMAE_DEMO_DATA:-data/demo}"
WORK="${SIGNMAE_DEMO_WORK_DIR:-work_dirs}"
PRETRAIN_DIR="$WORK/$(basename "$PRETRAIN_CFG" .py)"
FINETUNE_DIR="$WORK/$(basename "$FINETUNE_CFG" .py)"
TEST_DIR="$FINETUNE_DIR/test"

log() { printf '\n[run_demo] %s\n' "$*"; }
die() { printf '[run_demo] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

command -v mim >/dev/null 2>&1 \
    || die "mim not found: activate the environment first (source .venv/bin/activate)"
PY="$(command -v python)"
"$PY" -c 'import signmae_mm' 2>/dev/null \
    || die "signmae_mm does not import with $PY: run bash tools/install.sh and activate .venv"

data_options=()
if [ "$DATA" != data/demo ]; then
    data_options=(
        "train_dataloader.dataset.ann_file=$DATA/train.json"
        "train_dataloader.dataset.data_prefix.video=$DATA/videos")
fi

START=$(date +%s)

# 1. Demo data --------------------------------------------------------------------------------
if [ -f "$DATA/train.json" ] && [ -f "$DATA/val.json" ] && [ -f "$DATA/test.json" ]; then
    log "demo set found in $DATA (delete it to generate it again)"
    # A set written by an earlier version (112 px, 32 frames) would train, but not as the demo
    # configs intend (8x2 frames of 64x64 cover a 16-frame video): refuse it.
    "$PY" - "$DATA/vocabulary.json" <<'EOF' || die "$DATA is not a demo set of this version: delete it"
import json
import sys

path = sys.argv[1]
try:
    settings = json.load(open(path))['settings']
except (OSError, ValueError, KeyError) as e:
    sys.exit(f'[run_demo] error: {path}: cannot read the generator settings ({e})')
size = settings['size'] if isinstance(settings['size'], int) else settings['size'][0]
if (settings['num_frames'], size) != (16, 64):
    sys.exit(f"[run_demo] error: {path}: the set has {settings['num_frames']} frames of "
             f"{settings['size']} px; the demo configs take 16 frames of 64x64")
EOF
else
    log "generating the demo set in $DATA"
    "$PY" tools/make_demo_data.py "$DATA"
fi

# 2. Hand-arm pretraining ---------------------------------------------------------------------
T=$(date +%s)
log "pretraining (hand-arm masking): mim train mmaction $PRETRAIN_CFG"
pre_options=()
[ ${#data_options[@]} -gt 0 ] && pre_options=(
    "${data_options[@]}" "train_dataloader.dataset.data_prefix.sign_ann=$DATA/sign_ann")
mim train mmaction "$PRETRAIN_CFG" --work-dir "$PRETRAIN_DIR" \
    ${pre_options[@]+--cfg-options "${pre_options[@]}"} "$@"
[ -f "$PRETRAIN_DIR/last_checkpoint" ] || die "pretraining wrote no checkpoint in $PRETRAIN_DIR"
PRETRAINED="$(cat "$PRETRAIN_DIR/last_checkpoint")"
log "pretraining done in $(elapsed "$T"): $PRETRAINED"

# 3. Finetuning from the pretraining checkpoint ----------------------------------------------
T=$(date +%s)
log "finetuning: mim train mmaction $FINETUNE_CFG"
ft_options=("model.backbone.init_cfg.checkpoint=$PRETRAINED")
if [ ${#data_options[@]} -gt 0 ]; then
    ft_options+=("${data_options[@]}"
        "val_dataloader.dataset.ann_file=$DATA/val.json"
        "val_dataloader.dataset.data_prefix.video=$DATA/videos")
fi
mim train mmaction "$FINETUNE_CFG" --work-dir "$FINETUNE_DIR" --cfg-options "${ft_options[@]}" "$@"
[ -f "$FINETUNE_DIR/last_checkpoint" ] || die "finetuning wrote no checkpoint in $FINETUNE_DIR"
FINETUNED="$(cat "$FINETUNE_DIR/last_checkpoint")"
log "finetuning done in $(elapsed "$T"): $FINETUNED"

# 4. Test --------------------------------------------------------------------------------------
T=$(date +%s)
log "testing: mim test mmaction $FINETUNE_CFG --checkpoint $FINETUNED"
test_options=()
[ ${#data_options[@]} -gt 0 ] && test_options=(
    "test_dataloader.dataset.ann_file=$DATA/test.json"
    "test_dataloader.dataset.data_prefix.video=$DATA/videos")
mkdir -p "$TEST_DIR"
MARK="$TEST_DIR/.started"
touch "$MARK"
PREDICTIONS="$TEST_DIR/predictions.pkl"
mim test mmaction "$FINETUNE_CFG" --checkpoint "$FINETUNED" --work-dir "$TEST_DIR" \
    --dump "$PREDICTIONS" ${test_options[@]+--cfg-options "${test_options[@]}"}
# mmengine writes the test metrics to <work-dir>/<timestamp>/<timestamp>.json
RESULT="$(find "$TEST_DIR" -mindepth 2 -maxdepth 2 -name '*.json' -newer "$MARK" \
    | sort | tail -n 1)"
[ -n "$RESULT" ] || die "mim test wrote no metrics file in $TEST_DIR"
log "testing done in $(elapsed "$T")"

# 5. Raw-pixel baseline on the same split ----------------------------------------------------
T=$(date +%s)
BASELINE="$WORK/pixel_baseline.json"
log "raw-pixel baseline: tools/pixel_baseline.py"
# the frames the model sees (8 x interval 2 of the 16-frame demo videos), no augmentation
"$PY" tools/pixel_baseline.py "$DATA/train.json" "$DATA/test.json" \
    --video-prefix "$DATA/videos" --num-frames 8 --out "$BASELINE"
log "baseline done in $(elapsed "$T")"

# 6. What the pretraining learned: frozen-encoder linear probes, pretrained and random ---------
T=$(date +%s)
# Side by side, one thread each: most of a probe is decoding, which runs in one thread anyway.
pids=()
for which in pretrained random; do
    ckpt="$PRETRAINED"
    [ "$which" = random ] && ckpt=none
    log "linear probes of the $which encoder: tools/linear_probe.py (log: $WORK/probe_$which.log)"
    OMP_NUM_THREADS=1 "$PY" tools/linear_probe.py "$FINETUNE_CFG" "$ckpt" "$DATA/train.json" \
        "$DATA/test.json" --video-prefix "$DATA/videos" --pooling mean tokens \
        --out "$WORK/probe_$which.json" >"$WORK/probe_$which.log" 2>&1 &
    pids+=($!)
done
for i in 0 1; do
    which=$([ "$i" = 0 ] && echo pretrained || echo random)
    wait "${pids[$i]}" || { cat "$WORK/probe_$which.log" >&2; die "the $which probe failed"; }
    cat "$WORK/probe_$which.log"
done
log "probes done in $(elapsed "$T")"

# 7. ... and its reconstructions of test clips of the shape pairs (the first of each sign) ----
RECON="$WORK/reconstruction.png"
mapfile -t CLIPS < <("$PY" - "$DATA/test.json" <<'PYEOF'
import json
import sys

from signmae_mm.evaluation import load_pairs

ann = sys.argv[1]
pairs, classes = load_pairs([ann])
shape = [c for p in pairs or [] if p['kind'] == 'shape' for c in (p['first'], p['second'])]
entries = json.load(open(ann))['data_list']
for name in shape:
    label = classes.index(name)
    print(next(e['filename'] for e in entries if e['label'] == label))
if not shape:  # a set without a vocabulary of pairs: its first clip
    print(entries[0]['filename'])
PYEOF
)
[ ${#CLIPS[@]} -gt 0 ] || die "no test clip for the reconstruction picture in $DATA/test.json"
videos=() anns=()
for clip in "${CLIPS[@]}"; do
    videos+=("$DATA/videos/$clip")
    anns+=("$DATA/sign_ann/${clip%.mp4}.npz")
done
log "reconstruction of ${#CLIPS[@]} test clips (shape pairs): tools/visualize_reconstruction.py"
"$PY" tools/visualize_reconstruction.py "$PRETRAIN_CFG" "$PRETRAINED" \
    --video "${videos[@]}" --sign-ann "${anns[@]}" --out "$RECON"

"$PY" - "$RESULT" "$PREDICTIONS" "$BASELINE" "$DATA/test.json" "$RECON" "$(elapsed "$START")" \
    "$WORK/probe_pretrained.json" "$WORK/probe_random.json" "$FINETUNE_CFG" "$DATA/sign_ann" \
    <<'EOF'
import json
import sys

import numpy as np
from mmengine.fileio import load

from signmae_mm.evaluation import load_pairs, pair_kind_accuracy, tokens_per_hand

(result, predictions, baseline, ann_file, recon, wall, probe_pre, probe_rand, config,
 sign_ann) = sys.argv[1:]
model = json.load(open(result))
base = json.load(open(baseline))
probes = {which: json.load(open(path))['probes']
          for which, path in (('pretrained', probe_pre), ('random', probe_rand))}
data_list = json.load(open(ann_file))['data_list']
classes = len({entry['label'] for entry in data_list})
pairs, names = load_pairs([ann_file])
if pairs:
    preds = load(predictions)
    scores = np.stack([np.asarray(p['pred_score']) for p in preds])
    labels = np.array([int(p['gt_label']) for p in preds])
    model.update(pair_kind_accuracy(scores, labels, pairs, names))
keys = (('acc/per_instance_top1', 'per-instance top-1'),
        ('acc/per_instance_top5', 'per-instance top-5'),
        ('acc/per_class_top1', 'per-class top-1'),
        ('acc/shape_pairs_top1', 'top-1, shape pairs'),
        ('acc/motion_pairs_top1', 'top-1, motion pairs'),
        ('acc/right_pair', 'right pair'))
print(f'\nSignMAE demo: hand-arm pretraining -> finetuning -> test on {ann_file} '
      f'({len(data_list)} videos, {classes} classes, chance {100 / classes:.1f} %)')
print(f'  {"":22s} {"SignMAE":>8s} {"pixels":>8s}   (pixels: linear classifier on raw pixels)')
for key, name in keys:
    if key in model and key in base:
        print(f'  {name:22s} {100 * model[key]:7.2f}% {100 * base[key]:7.2f}%')
print('\nWhat pretraining learned: linear probes of the frozen encoder (tools/linear_probe.py),'
      '\npretrained / random encoder, on the same clips')
print(f'  {"":22s} {"mean-pooled":>17s} {"all tokens":>17s}')
for key, name in keys:
    if all(key in probes[w][p] for w in probes for p in ('mean', 'tokens')):
        cells = ['{:6.2f} / {:6.2f}'.format(*(100 * probes[w][p][key]
                                              for w in ('pretrained', 'random')))
                 for p in ('mean', 'tokens')]
        print(f'  {name:22s} {cells[0]:>17s} {cells[1]:>17s}')
hand = tokens_per_hand(config, ann_file, sign_ann)
print(f'  a hand spans {hand["tokens_per_hand"]:.2f} tokens across (median extent '
      f'{hand["median_extent"]:.3f} of the short side, {hand["cells"]:g} tokens across the input)')
print(f'  metrics: {result}')
print(f'  baseline: {baseline}')
print(f'  probes: {probe_pre}, {probe_rand}')
print(f'  reconstructions of test clips of the shape pairs: {recon}')
print(f'  total wall time: {wall}')
EOF
