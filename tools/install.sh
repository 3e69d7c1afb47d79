#!/usr/bin/env bash
# Installs the OpenMMLab stack that signmae_mm runs on, and the plugin itself, into a virtual
# environment (default: .venv in the repository root; set SIGNMAE_VENV to choose another).
#
# Idempotent: a second run checks a stamp and returns in seconds. The slow step is mmcv 2.1.0,
# which PyPI ships only as an sdist that does not compile against torch 2.14 (C++17 flags vs.
# torch's C++20 headers, open-mmlab/mmcv#3341): we patch the flags and build the wheel once
# (about 11 minutes on 2 cores), then keep it in SIGNMAE_WHEEL_CACHE for every later install.
#
# Usage: bash tools/install.sh [--extras mediapipe]
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

extras=""
if [ "${1:-}" = "--extras" ] && [ -n "${2:-}" ]; then extras="[$2]"; fi

# The stamp covers every file that decides what gets installed, and the extras asked for (a
# plain install followed by `--extras mediapipe` must not stop at "up to date").
stamp_of() {
    # setup.py and the C sources too: an editable install compiles the op once, at install
    { cat "$CONSTRAINTS" "$ROOT"/requirements/*.txt "$ROOT/setup.cfg" "$ROOT/setup.py" \
        "$ROOT"/signmae_mm/ops/csrc/*.c; echo "extras=$extras"; } \
        | sha256sum | cut -d' ' -f1
}
STAMP_FILE="$VENV/.signmae_mm_install_stamp"
STAMP="$(stamp_of)"
if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$STAMP" ] \
    && "$PY" -c "import mmcv.ops, mmaction, mmdet, mmpose, signmae_mm" >/dev/null 2>&1; then
    log "environment $VENV is up to date (delete $STAMP_FILE to force a reinstall)"
    exit 0
fi

log "build tools and torch"
pip_ install -q setuptools wheel numpy torch torchvision

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" >/dev/null 2>&1; then
    log "mmcv $MMCV_VERSION with ops already installed"
else
    mkdir -p "$WHEEL_CACHE"
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
    log "installing $wheel"
    pip_ install -q --no-deps "$wheel"
fi

# chumpy (an mmpose dependency) imports pip in its setup.py, so it cannot build in isolation.
if ! "${PIP[@]}" show -q chumpy >/dev/null 2>&1; then
    log "chumpy"
    pip_ install -q --no-build-isolation chumpy
fi

log "OpenMMLab stack, test tools and the plugin (editable${extras:+, extras $extras})"
pip_ install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
pip_ install -q --no-build-isolation -e "$ROOT$extras"

"$PY" -c "import mmcv.ops, mmaction, mmdet, mmpose, signmae_mm, signmae_mm.ops as ops; \
print('[install] ok:', 'mmcv', mmcv.__version__, 'mmaction', mmaction.__version__, \
'signmae_mm', signmae_mm.__version__, 'compiled ops:', 'yes' if ops.HAS_COMPILED_OPS else \
'no (no C compiler? NumPy fallback)')"
stamp_of > "$STAMP_FILE"
