#!/usr/bin/env bash
# Installs the OpenMMLab stack that signmae_mm runs on, and the plugin itself, into a virtual
# environment (default: .venv in the repository root; set SIGNMAE_VENV to choose another).
#
# Usage: bash tools/install.sh [--full | --core]
#
#   (no option)  the core stack, no compile step (a few minutes): torch, mmengine, mmcv-lite,
#                mmaction2, decord, openmim, MediaPipe and the plugin. Everything but RTMDet /
#                RTMPose preprocessing runs on it: training, testing, the demo, MediaPipe
#                preprocessing, the converters, the visualisers. An environment that already
#                holds the full stack is kept full (it does all the core does).
#   --full       adds mmcv with its compiled ops, mmdet, mmpose and the test tools (pytest,
#                transformers). mmcv 2.1.0 is on PyPI only as an sdist that does not compile
#                against torch 2.14 (C++17 flags vs. torch's C++20 headers, open-mmlab/mmcv#3341):
#                we patch the flags and build the wheel once (about 11 minutes on 2 cores, 30 on
#                a loaded machine), then keep it in SIGNMAE_WHEEL_CACHE for every later install.
#   --core       back from full to core: removes mmcv's compiled build, mmdet and mmpose.
#
# mmcv-lite and mmcv both install the `mmcv` package, so one is removed before the other goes in.
# Idempotent: a stamp of the requirement files and the stack in the environment makes a second
# run return in seconds. `--extras mediapipe` (older commands) is accepted: MediaPipe is core.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SIGNMAE_VENV:-$ROOT/.venv}"
WHEEL_CACHE="${SIGNMAE_WHEEL_CACHE:-$HOME/.cache/signmae_mm/wheels}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
CONSTRAINTS="$ROOT/requirements/constraints.txt"
export PIP_CONSTRAINT="$CONSTRAINTS"
MMCV_VERSION=2.1.0

log() { printf '[install] %s\n' "$*"; }
usage() { sed -n '5,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

requested=core
exact=0
while [ $# -gt 0 ]; do
    case "$1" in
        --full) requested=full ;;
        --core) requested=core; exact=1 ;;
        --extras)
            [ "${2:-}" = mediapipe ] || { log "unknown extra '${2:-}' (MediaPipe is core)"; exit 2; }
            shift ;;
        -h|--help) usage; exit 0 ;;
        *) log "unknown option '$1'"; usage >&2; exit 2 ;;
    esac
    shift
done

if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV ($("$PYTHON" --version))"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
# pip warns once per package about extra index folders that lack it; keep the log readable.
pip_() {
    "${PIP[@]}" "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    return "${PIPESTATUS[0]}"
}
# whether a distribution is installed (what `pip show` tells, without pip's second of start-up)
installed() {
    "$PY" -c 'import importlib.metadata as m, sys; m.distribution(sys.argv[1])' "$1" \
        >/dev/null 2>&1
}
CORE_IMPORTS="import mmcv, mmaction, mediapipe, signmae_mm"
FULL_IMPORTS="$CORE_IMPORTS, mmcv.ops, mmdet, mmpose, pytest, transformers"

# A plain run keeps a working full stack full: it does everything the core does.
stack=$requested
if [ "$requested" = core ] && [ "$exact" = 0 ] && installed mmcv && ! installed mmcv-lite \
    && "$PY" -c "import mmcv.ops, mmdet, mmpose" >/dev/null 2>&1; then
    stack=full
fi

# The stamp covers every file that decides what gets installed, and the stack.
stamp_of() {
    # setup.py and the C sources too: an editable install compiles the op once, at install
    { cat "$CONSTRAINTS" "$ROOT"/requirements/*.txt "$ROOT/setup.cfg" "$ROOT/setup.py" \
        "$ROOT"/signmae_mm/ops/csrc/*.c; echo "stack=$stack"; } \
        | sha256sum | cut -d' ' -f1
}
STAMP_FILE="$VENV/.signmae_mm_install_stamp"
STAMP="$(stamp_of)"
imports=$CORE_IMPORTS
[ "$stack" = full ] && imports=$FULL_IMPORTS
if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$STAMP" ] \
    && "$PY" -c "$imports" >/dev/null 2>&1; then
    log "$stack environment $VENV is up to date (delete $STAMP_FILE to force a reinstall)"
    exit 0
fi
log "installing the $stack stack into $VENV"

log "build tools and torch"
pip_ install -q setuptools wheel numpy torch torchvision

# Sets $wheel to the compiled mmcv wheel, built once into the cache.
mmcv_wheel() {
    mkdir -p "$WHEEL_CACHE"
    local build
    wheel="$(ls "$WHEEL_CACHE"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$wheel" ]; then
        log "building mmcv $MMCV_VERSION with its ops from the sdist (about 11 minutes on 2 cores, once)"
        build="$(mktemp -d)"
        pip_ download -q --no-deps --no-binary :all: --no-build-isolation \
            -d "$build" "mmcv==$MMCV_VERSION"
        tar -xzf "$build"/mmcv-"$MMCV_VERSION".tar.gz -C "$build"
        # torch >= 2.10 headers require C++20; mmcv's setup.py hard-codes older standards.
        sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' \
            "$build/mmcv-$MMCV_VERSION/setup.py"
        (cd "$build/mmcv-$MMCV_VERSION" && MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
            "$PY" -m pip wheel -q --no-build-isolation --no-deps \
            -w "$build/dist" . 2>&1 | tail -n 5) || true
        [ -n "$(ls "$build"/dist/mmcv-*.whl 2>/dev/null)" ] || { log "mmcv build failed"; exit 1; }
        cp "$build"/dist/mmcv-*.whl "$WHEEL_CACHE/"
        rm -rf "$build"
        wheel="$(ls "$WHEEL_CACHE"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
    fi
}

# Exactly one of mmcv (compiled) and mmcv-lite: both write the `mmcv` package.
if [ "$stack" = full ]; then
    if installed mmcv && ! installed mmcv-lite && "$PY" -c "import mmcv, mmcv.ops, sys; \
sys.exit(mmcv.__version__ != '$MMCV_VERSION')" >/dev/null 2>&1; then
        log "mmcv $MMCV_VERSION with ops already installed"
    else
        for dist in mmcv-lite mmcv; do
            if installed "$dist"; then log "removing $dist"; pip_ uninstall -q -y "$dist"; fi
        done
        mmcv_wheel
        log "installing $wheel"
        pip_ install -q --no-deps "$wheel"
    fi
else
    # mmdet and mmpose cannot import without mmcv's ops: they go with the compiled mmcv.
    for dist in mmdet mmpose mmcv; do
        if installed "$dist"; then log "removing $dist (core stack)"; pip_ uninstall -q -y "$dist"; fi
    done
    if ! installed mmcv-lite; then
        log "mmcv-lite $MMCV_VERSION (pure Python, no compile)"
        pip_ install -q "mmcv-lite==$MMCV_VERSION"
    fi
fi

requirements=(-r "$ROOT/requirements/runtime.txt")
if [ "$stack" = full ]; then
    # chumpy (an mmpose dependency) imports pip in its setup.py: it cannot build in isolation.
    if ! installed chumpy; then
        log "chumpy"
        pip_ install -q --no-build-isolation chumpy
    fi
    requirements+=(-r "$ROOT/requirements/full.txt" -r "$ROOT/requirements/tests.txt")
fi
log "OpenMMLab $stack stack and the plugin (editable, with MediaPipe)"
pip_ install -q "${requirements[@]}"
# setup.cfg leaves mmcv out of the requirements (pip cannot know that mmcv-lite provides it)
pip_ install -q --no-build-isolation -e "$ROOT[mediapipe]"

"$PY" -c "$imports; import signmae_mm.ops as ops; \
print('[install] ok ($stack stack):', 'mmcv', mmcv.__version__, 'mmaction', mmaction.__version__, \
'signmae_mm', signmae_mm.__version__, 'compiled ops:', 'yes' if ops.HAS_COMPILED_OPS else \
'no (no C compiler? NumPy fallback)')"
stamp_of > "$STAMP_FILE"
