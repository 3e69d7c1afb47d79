#!/usr/bin/env bash
# The whole downstream of SignMAE on the demo set, on the CPU, through the entry points a user
# would use: the three streams, both fusions and the baselines, in one table.
#   1. the main job (tools/run_demo.sh, unchanged: demo set, hand-arm pretraining -> finetuning
#      -> test, raw-pixel baseline, probes, reconstructions): the hand-arm video stream,
#   2. the noisy twin of the set's sign annotations (tools/make_demo_data.py --noisy-twin:
#      MediaPipe-like keypoints for the keypoint stream; the pretraining masks keep reading the
#      exact part maps) and the linear keypoint baseline on them (tools/keypoint_baseline.py),
#      in the background,
#   3. tube-masking pretraining -> finetuning: the second video stream
#                                   (configs/demo/signmae-tube_*, vit-tiny-p8_signmae-tube-pre_*),
#   4. the keypoint-heatmap stream on the noisy keypoints (configs/demo/heatmap-c3d_*),
#   5. each stream's scores on the validation and the test split (mim test --dump),
#   6. late fusion: weights searched on validation (tools/fuse_scores.py), tested with the
#      late-fusion config (configs/demo/late-fusion_*),
#   7. learned fusion over the frozen streams (configs/demo/learned-fusion_*), trained and tested,
# then prints one table (tools/compare_results.py): each stream and fusion on the same test
# videos beside the raw-pixel and the keypoint baselines, per pair kind, and the wall time.
#
# Usage (from anywhere, with the environment of tools/install.sh active so that `mim` is found):
#   bash tools/run_demo_streams.sh [extra --cfg-options for every training run]
# Extra arguments go to every `mim train` run, the main job's included (e.g. --cfg-options
# randomness.seed=1; train_cfg.max_epochs=1 for a smoke run). Environment: as tools/run_demo.sh
# (SIGNMAE_DEMO_DATA, SIGNMAE_DEMO_WORK_DIR).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HANDARM_CFG=configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py
TUBE_PRE_CFG=configs/demo/signmae-tube_vit-tiny-p8_8x2x1_signdemo.py
TUBE_CFG=configs/demo/vit-tiny-p8_signmae-tube-pre_8x2x1_signdemo.py
HEATMAP_CFG=configs/demo/heatmap-c3d_nla63-32px_8x2x1_signdemo.py
LATE_CFG=configs/demo/late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py
LEARNED_CFG=configs/demo/learned-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py
DATA="${SIGNMAE_DEMO_DATA:-data/demo}"
WORK="${SIGNMAE_DEMO_WORK_DIR:-work_dirs}"
DUMPS="$WORK/stream_scores"
STREAMS=(rgb_handarm rgb_tube heatmap)

log() { printf '\n[run_demo_streams] %s\n' "$*"; }
die() { printf '[run_demo_streams] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
work_dir() { echo "$WORK/$(basename "$1" .py)"; }
last_checkpoint() {
    [ -f "$1/last_checkpoint" ] || die "no checkpoint in $1"
    cat "$1/last_checkpoint"
}
# --cfg-options of the given loaders: the set's lists and videos, and sign annotations from $2
data_options() {
    local ann="$1" split
    shift
    for split in "$@"; do
        local loader="${split}_dataloader" list="$split"
        [ "$split" = test ] && [ -n "${TEST_LIST:-}" ] && list="$TEST_LIST"
        printf '%s\n' "$loader.dataset.ann_file=$DATA/$list.json" \
            "$loader.dataset.data_prefix.video=$DATA/videos"
        [ -n "$ann" ] && printf '%s\n' "$loader.dataset.data_prefix.sign_ann=$ann"
    done
    return 0
}

command -v mim >/dev/null 2>&1 \
    || die "mim not found: activate the environment first (source .venv/bin/activate)"
PY="$(command -v python)"
START=$(date +%s)

# 1. The main job: the hand-arm stream, the pixel baseline ------------------------------------
log "the main job: tools/run_demo.sh $*"
bash tools/run_demo.sh "$@"
HANDARM="$(last_checkpoint "$(work_dir "$HANDARM_CFG")")"
log "main job done in $(elapsed "$START")"

# 2. Noisy keypoints, and the linear classifier on them, beside the tube stream's training ----
KP_LOG="$WORK/keypoint_baseline.log"
log "noisy keypoints (tools/make_demo_data.py --noisy-twin) and the keypoint baseline" \
    "(tools/keypoint_baseline.py), one thread, beside the tube stream (log: $KP_LOG)"
(
    export OMP_NUM_THREADS=1
    kp_ann="$("$PY" tools/make_demo_data.py "$DATA" --noisy-twin | tail -n 1)"
    echo "$kp_ann" >"$WORK/keypoint_annotations.txt"
    # the frames the streams see (8 x interval 2 of the 16-frame demo videos)
    "$PY" tools/keypoint_baseline.py "$DATA/train.json" "$DATA/test.json" \
        --sign-ann-prefix "$kp_ann" --num-frames 8 --out "$WORK/keypoint_baseline.json"
) >"$KP_LOG" 2>&1 &
KP_PID=$!

# 3. Tube-masking pretraining and finetuning -------------------------------------------------
T=$(date +%s)
log "tube pretraining: mim train mmaction $TUBE_PRE_CFG"
mapfile -t opts < <(data_options "$DATA/sign_ann" train)
mim train mmaction "$TUBE_PRE_CFG" --work-dir "$(work_dir "$TUBE_PRE_CFG")" \
    --cfg-options "${opts[@]}" "$@"
TUBE_PRE="$(last_checkpoint "$(work_dir "$TUBE_PRE_CFG")")"
log "tube finetuning: mim train mmaction $TUBE_CFG"
mapfile -t opts < <(data_options "" train val)
mim train mmaction "$TUBE_CFG" --work-dir "$(work_dir "$TUBE_CFG")" \
    --cfg-options "model.backbone.init_cfg.checkpoint=$TUBE_PRE" "${opts[@]}" "$@"
TUBE="$(last_checkpoint "$(work_dir "$TUBE_CFG")")"
log "tube stream done in $(elapsed "$T")"

# 4. Keypoint-heatmap stream ------------------------------------------------------------------
wait "$KP_PID" || { cat "$KP_LOG" >&2; die "the noisy keypoints or their baseline failed"; }
cat "$KP_LOG"
KP_ANN="$(cat "$WORK/keypoint_annotations.txt")"
[ -d "$KP_ANN" ] || die "no noisy annotations for $DATA"
log "the keypoint stream reads $KP_ANN"
T=$(date +%s)
log "heatmap stream: mim train mmaction $HEATMAP_CFG"
mapfile -t opts < <(data_options "$KP_ANN" train val)
mim train mmaction "$HEATMAP_CFG" --work-dir "$(work_dir "$HEATMAP_CFG")" \
    --cfg-options "${opts[@]}" "$@"
HEATMAP="$(last_checkpoint "$(work_dir "$HEATMAP_CFG")")"
log "heatmap stream done in $(elapsed "$T")"

# 5. Each stream's scores on validation (for the fusion weights) and test ---------------------
T=$(date +%s)
mkdir -p "$DUMPS"
dump() {  # NAME CONFIG CHECKPOINT SPLIT SIGN_ANN
    log "$1 on $4: mim test mmaction $2"
    local -a o
    mapfile -t o < <(TEST_LIST="$4" data_options "$5" test)
    mim test mmaction "$2" --checkpoint "$3" --work-dir "$DUMPS/$1_$4" \
        --dump "$DUMPS/$4_$1.pkl" --cfg-options "${o[@]}"
}
# the hand-arm stream's test scores are the main job's (same config, checkpoint and split)
cp "$(work_dir "$HANDARM_CFG")/test/predictions.pkl" "$DUMPS/test_rgb_handarm.pkl"
# Two lanes side by side, one thread each (as the main job's probes): a test is mostly start-up
# and decoding, which run in one thread anyway.
lane_video() {
    dump rgb_handarm "$HANDARM_CFG" "$HANDARM" val ""
    dump rgb_tube "$TUBE_CFG" "$TUBE" val ""
    dump rgb_tube "$TUBE_CFG" "$TUBE" test ""
}
lane_heatmap() {
    dump heatmap "$HEATMAP_CFG" "$HEATMAP" val "$KP_ANN"
    dump heatmap "$HEATMAP_CFG" "$HEATMAP" test "$KP_ANN"
}
pids=()
for lane in video heatmap; do
    log "scores of the $lane streams (log: $DUMPS/$lane.log)"
    (export OMP_NUM_THREADS=1; "lane_$lane") >"$DUMPS/$lane.log" 2>&1 &
    pids+=($!)
done
failed=()
for i in 0 1; do
    lane=$([ "$i" = 0 ] && echo video || echo heatmap)
    wait "${pids[$i]}" || failed+=("$lane")
    grep '^\[run_demo_streams\]\|Epoch(test)' "$DUMPS/$lane.log" || true
done
for lane in ${failed[@]+"${failed[@]}"}; do
    tail -n 40 "$DUMPS/$lane.log" >&2
    die "the scores of the $lane streams failed (log: $DUMPS/$lane.log)"
done
log "scores done in $(elapsed "$T")"

# 6. Late fusion: weights searched on validation, then the late-fusion config's test ---------
T=$(date +%s)
streams_options=(
    "model.streams.rgb_handarm.checkpoint=$HANDARM" "model.streams.rgb_tube.checkpoint=$TUBE"
    "model.streams.heatmap.checkpoint=$HEATMAP")
log "late fusion: tools/fuse_scores.py --fit --fit-on <validation scores>"
test_dumps=() val_dumps=()
for name in "${STREAMS[@]}"; do
    test_dumps+=("$DUMPS/test_$name.pkl")
    val_dumps+=("$DUMPS/val_$name.pkl")
done
"$PY" tools/fuse_scores.py "${test_dumps[@]}" --names "${STREAMS[@]}" --fit \
    --fit-on "${val_dumps[@]}" --out "$WORK/late_fusion.json" \
    --save-checkpoint "$WORK/late_fusion.pth" | tee "$WORK/late_fusion.log"
log "late fusion: mim test mmaction $LATE_CFG"
mapfile -t opts < <(data_options "$KP_ANN" test)
mim test mmaction "$LATE_CFG" --checkpoint "$WORK/late_fusion.pth" \
    --work-dir "$(work_dir "$LATE_CFG")" --dump "$DUMPS/test_late_fusion.pkl" \
    --cfg-options "${streams_options[@]}" "${opts[@]}"
log "late fusion done in $(elapsed "$T")"

# 7. Learned fusion over the frozen streams --------------------------------------------------
T=$(date +%s)
log "learned fusion: mim train mmaction $LEARNED_CFG"
mapfile -t opts < <(data_options "$KP_ANN" train val)
mim train mmaction "$LEARNED_CFG" --work-dir "$(work_dir "$LEARNED_CFG")" \
    --cfg-options "${streams_options[@]}" "${opts[@]}" "$@"
LEARNED="$(last_checkpoint "$(work_dir "$LEARNED_CFG")")"
mapfile -t opts < <(data_options "$KP_ANN" test)
mim test mmaction "$LEARNED_CFG" --checkpoint "$LEARNED" \
    --work-dir "$(work_dir "$LEARNED_CFG")/test" --dump "$DUMPS/test_learned_fusion.pkl" \
    --cfg-options "${streams_options[@]}" "${opts[@]}"
log "learned fusion done in $(elapsed "$T")"

# 8. One table ------------------------------------------------------------------------------
"$PY" tools/compare_results.py --ann-file "$DATA/test.json" --out "$WORK/streams_table.json" \
    --title "SignMAE demo, the whole downstream: streams, fusions and baselines on the same \
$DATA/test.json videos (top-1 etc. in %)" \
    "hand-arm ViT=$DUMPS/test_rgb_handarm.pkl" "tube ViT=$DUMPS/test_rgb_tube.pkl" \
    "heatmap C3D=$DUMPS/test_heatmap.pkl" "late fusion=$DUMPS/test_late_fusion.pkl" \
    "learned fusion=$DUMPS/test_learned_fusion.pkl" "pixels (linear)=$WORK/pixel_baseline.json" \
    "keypoints (linear)=$WORK/keypoint_baseline.json"
printf '  late-fusion weights (fitted on validation): %s\n' \
    "$(sed -n 's/^config: --cfg-options //p' "$WORK/late_fusion.log")"
printf '  keypoints: %s (noisy twin); table: %s\n' "$KP_ANN" "$WORK/streams_table.json"
printf '  total wall time: %s\n' "$(elapsed "$START")"
