#!/usr/bin/env bash
# Try SignMAE's hand-arm masking on your own video, on the CPU, with no weight files:
# MediaPipe Holistic keypoints -> sign annotation -> the mask visualisation (PNG grid and MP4).
#
# Usage: bash tools/try_video.sh VIDEO.mp4 [OUT_DIR]      (OUT_DIR defaults to work_dirs/try_video)
#   env: MASK_RATIO (default 0.5: the hand and arm tokens stand out from the random rest; SignMAE
#        pretrains with 0.9), SEED (crop / flip of the visualised clip, default 0)
# Needs MediaPipe: bash tools/install.sh installs it (core stack; no mmdet / mmpose needed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${SIGNMAE_VENV:-$ROOT/.venv}/bin/python"
[ -x "$PY" ] || PY=python
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: bash tools/try_video.sh VIDEO.mp4 [OUT_DIR]" >&2
    exit 2
fi
VIDEO="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
OUT="${2:-work_dirs/try_video}"
NAME="$(basename "$VIDEO")"
STEM="${NAME%.*}"
mkdir -p "$OUT/video"
ln -sf "$VIDEO" "$OUT/video/$NAME"  # the tool takes a folder of videos

"$PY" "$ROOT/tools/preprocess.py" "$OUT/video" --out-dir "$OUT/sign_ann" \
    --pose-backend mediapipe --overwrite
NPZ="$OUT/sign_ann/$STEM.npz"
[ -f "$NPZ" ] || { echo "no annotation written: see $OUT/sign_ann/$STEM.meta.json" >&2; exit 1; }
"$PY" "$ROOT/tools/visualize_masks.py" --video "$VIDEO" --sign-ann "$NPZ" --mask hand_arm \
    --ratio "${MASK_RATIO:-0.5}" --seed "${SEED:-0}" --scale 2 \
    --out "$OUT/$STEM.mask.png" --mp4 "$OUT/$STEM.mask.mp4"
echo "sign annotation: $NPZ"
echo "look at: $OUT/$STEM.mask.png and $OUT/$STEM.mask.mp4 (top: hands red, arms blue, face green; bottom: masked tokens shaded)"
