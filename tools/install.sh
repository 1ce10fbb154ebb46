#!/usr/bin/env bash
# Idempotent set-up of mmpose6d in the current Python environment.
#   bash tools/install.sh           runtime: torch, mmcv (built with ops), mmdet, mmpose6d
#   bash tools/install.sh --tests   the same plus the test requirements
# A second run that finds everything in place takes seconds: mmcv is only compiled when
# `import mmcv.ops` fails, the version is not 2.1.0 or, with a GPU, its ops lack CUDA
# (pip also caches the CPU build's wheel).
# mmpose6d's own CPU ops (mmpose6d/ops/csrc) are compiled with it, in about a minute.
# GPU: install the CUDA build of torch 2.13.0 first (and nvcc); with a GPU visible (or
# FORCE_CUDA=1) mmcv is compiled with its CUDA ops, for that GPU's architecture only
# (TORCH_CUDA_ARCH_LIST, e.g. "8.0;9.0" for several).
# Every pip call takes requirements/constraints.txt: the exact versions CI tested.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pipi() {
    "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
        -c requirements/constraints.txt "$@"
}

echo "[install] build requirements (torch, ninja, setuptools<81)"
pipi -r requirements/build.txt

# with a CUDA GPU (or FORCE_CUDA=1) mmcv's ops must include CUDA kernels: a CPU-only build
# that imports fine is rebuilt, for this machine's GPU architecture only
CUDA_ARCH=$("$PY" -c "import torch; print('%d.%d' % torch.cuda.get_device_capability() if torch.cuda.is_available() else '')" 2>/dev/null || true)
if [ -n "$CUDA_ARCH" ] || [ "${FORCE_CUDA:-0}" = "1" ]; then
    MMCV_CHECK="import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'; assert mmcv.ops.get_compiling_cuda_version() != 'not available'"
else
    MMCV_CHECK="import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'"
fi
if "$PY" -c "$MMCV_CHECK" 2>/dev/null; then
    echo "[install] mmcv 2.1.0 with ops${CUDA_ARCH:+ (CUDA)}: present"
elif [ -n "$CUDA_ARCH" ] || [ "${FORCE_CUDA:-0}" = "1" ]; then
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$CUDA_ARCH}
    echo "[install] mmcv 2.1.0: compiling with CUDA ops for TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-all} (needs nvcc; 10-30 minutes for one architecture, once)"
    start=$SECONDS
    # no wheel cache: a cached CPU-only build of the same version would be reinstalled
    FORCE_CUDA=1 MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} pipi --no-build-isolation \
        --no-cache-dir --force-reinstall --no-deps -r requirements/mmcv.txt
    echo "[install] mmcv compiled in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
    "$PY" -c "$MMCV_CHECK" || { echo "[install] error: mmcv's CUDA ops did not build" >&2; exit 1; }
else
    echo "[install] mmcv 2.1.0: compiling with ops (about 20 minutes on 2 cores, once)"
    start=$SECONDS
    MAX_JOBS=${MAX_JOBS:-$(nproc)} pipi --no-build-isolation -r requirements/mmcv.txt
    echo "[install] mmcv compiled in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
fi

echo "[install] runtime requirements (mmengine, mmdet 3.3.0, ...)"
pipi -r requirements/runtime.txt
if [ "${1:-}" = "--tests" ]; then
    echo "[install] test requirements"
    pipi -r requirements/tests.txt
fi

here=$(pwd -P)
installed=$(cd / && "$PY" -c "import mmpose6d, os; print(os.path.dirname(os.path.dirname(os.path.realpath(mmpose6d.__file__))))" 2>/dev/null || true)
# the CPU operator library mmpose6d._ext is compiled by the editable install (about a
# minute); it is rebuilt when missing or older than its sources
ext=$(ls mmpose6d/_ext*.so 2>/dev/null | head -n1 || true)
if [ "$installed" != "$here" ] || [ -z "$ext" ] || [ -n "$(find mmpose6d/ops/csrc -newer "$ext")" ] \
        || ! "$PY" -c "import torch, mmpose6d._ext" 2>/dev/null; then
    echo "[install] mmpose6d (editable, compiling mmpose6d._ext) from $here"
    pipi --no-deps --no-build-isolation --use-pep517 -e .
fi
"$PY" -c "import mmcv.ops, mmdet, mmpose6d, mmpose6d.ops as ops; assert ops.ext_available(), 'mmpose6d._ext did not build'; print('[install] ok: mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmpose6d', mmpose6d.__version__, '+ _ext')"
