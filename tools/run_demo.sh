#!/usr/bin/env bash
# The main job of signmae_mm, on the CPU, through the entry points a user would use:
#   1. generate the built-in demo set if absent (tools/make_demo_data.py -> data/demo),
#   2. SignMAE hand-arm pretraining of a tiny ViT      (mim train, configs/demo/signmae-handarm_*),
#   3. finetuning of its encoder in mmaction2's stock
#      Recognizer3D + VisionTransformer                (mim train, configs/demo/vit-tiny-*-pre_*),
#   4. testing on the demo test split                  (mim test),
# then prints per-instance top-1/top-5 and per-class top-1.
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

PRETRAIN_CFG=configs/demo/signmae-handarm_vit-tiny-p16_16x2x1_signdemo.py
FINETUNE_CFG=configs/demo/vit-tiny-p16_signmae-handarm-pre_16x2x1_signdemo.py
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
mim test mmaction "$FINETUNE_CFG" --checkpoint "$FINETUNED" --work-dir "$TEST_DIR" \
    ${test_options[@]+--cfg-options "${test_options[@]}"}
# mmengine writes the test metrics to <work-dir>/<timestamp>/<timestamp>.json
RESULT="$(find "$TEST_DIR" -mindepth 2 -maxdepth 2 -name '*.json' -newer "$MARK" \
    | sort | tail -n 1)"
[ -n "$RESULT" ] || die "mim test wrote no metrics file in $TEST_DIR"
log "testing done in $(elapsed "$T")"

"$PY" - "$RESULT" "$DATA/test.json" "$(elapsed "$START")" <<'EOF'
import json
import sys

result, ann_file, wall = sys.argv[1:]
metrics = json.load(open(result))
data_list = json.load(open(ann_file))['data_list']
classes = len({entry['label'] for entry in data_list})
print(f'\nSignMAE demo: hand-arm pretraining -> finetuning -> test on {ann_file} '
      f'({len(data_list)} videos, {classes} classes, chance {100 / classes:.1f} %)')
for key, name in (('acc/per_instance_top1', 'per-instance top-1'),
                  ('acc/per_instance_top5', 'per-instance top-5'),
                  ('acc/per_class_top1', 'per-class top-1')):
    print(f'  {name:19s} {100 * metrics[key]:6.2f} %')
print(f'  metrics: {result}')
print(f'  total wall time: {wall}')
EOF
