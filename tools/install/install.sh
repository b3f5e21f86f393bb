#!/usr/bin/env bash
# Idempotent install of mmvmt into ./.venv (or $VENV).
#
# 1. creates the virtual environment (reused when present),
# 2. installs torch/torchvision, numpy and setuptools<81 (mmcv's build and
#    mmengine import pkg_resources, which newer setuptools dropped),
# 3. installs mmcv 2.1.0 from a wheel cache keyed by the torch version,
#    building it from the PyPI sdist once when the cache is empty,
# 4. installs the OpenMMLab stack and mmvmt itself (editable).
#
# A second run only checks what is there and takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1}"
MMCV_VERSION="2.1.0"
CACHE_ROOT="${MMVMT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmvmt/wheels}"
STAMP="$VENV/.mmvmt-installed"

log() { echo "[install] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment at $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# Whether the stack is installed, read from package metadata without importing
# it (an import costs seconds on every `make test`): the pinned mmcv with its
# compiled ops, mmseg, mmpretrain, and mmvmt editable from this checkout.
installed() {
    "$PY" - "$ROOT" "$MMCV_VERSION" <<'PY'
import importlib.metadata as md
import importlib.util
import os.path as osp
import sys

root, mmcv_version = sys.argv[1:3]
assert md.version('mmcv') == mmcv_version
for name in ('mmengine', 'mmsegmentation', 'mmpretrain'):
    md.version(name)
dist = md.distribution('mmcv')
assert any(
    str(f).startswith('mmcv/_ext') and osp.isfile(dist.locate_file(f))
    for f in dist.files or ())
spec = importlib.util.find_spec('mmvmt')
assert osp.samefile(spec.origin, osp.join(root, 'mmvmt', '__init__.py'))
PY
}

# Fast path: everything already installed for the current requirement files.
req_hash=$(cat "$ROOT/requirements/"*.txt "$ROOT/setup.py" "$0" | sha256sum | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$req_hash" ] \
   && installed 2>/dev/null; then
    log "environment $VENV is up to date"
    exit 0
fi

"${PIP[@]}" install -q --upgrade "pip<26.2" "setuptools<81" wheel
"${PIP[@]}" install -q numpy $TORCH_SPEC

TORCH_VERSION=$("$PY" -c "import torch; print(torch.__version__)")
PY_TAG=$("$PY" -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
WHEEL_DIR="$CACHE_ROOT/torch-${TORCH_VERSION}-${PY_TAG}"

if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
        log "building mmcv $MMCV_VERSION against torch $TORCH_VERSION (takes ~17 min on 2 cores)"
        mkdir -p "$WHEEL_DIR"
        build_tmp=$(mktemp -d)
        # torch >= 2.6 headers need C++20; mmcv's setup.py forces -std=c++17,
        # so a wrapper appends -std=c++20 (the last -std wins).
        cat > "$build_tmp/cxx" <<'WRAP'
#!/bin/sh
exec c++ "$@" -std=c++20
WRAP
        chmod +x "$build_tmp/cxx"
        CXX="$build_tmp/cxx" MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
            "${PIP[@]}" wheel --no-build-isolation --no-deps --no-cache-dir \
            -w "$build_tmp/out" "mmcv==$MMCV_VERSION"
        # Publish atomically so a crashed build never leaves half a wheel.
        mv "$build_tmp"/out/mmcv-*.whl "$WHEEL_DIR/"
        rm -rf "$build_tmp"
        wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
    else
        log "reusing cached $wheel"
    fi
    "${PIP[@]}" install -q --no-deps --force-reinstall "$wheel"
fi

"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"
"$PY" -c "import mmcv.ops, mmseg, mmpretrain, mmvmt; print('mmcv', mmcv.__version__, 'mmseg', mmseg.__version__)"
echo "$req_hash" > "$STAMP"
log "done"
