#!/usr/bin/env bash
# Build .venv from nothing: the pinned OpenMMLab stack, mmcv 2.0.1 compiled from
# source with its ops (the wheel is cached and reused), and dense_ssl in editable mode.
# Idempotent: when the requirement files have not changed since the last
# successful run, it only checks the stamp and exits.
#
# CPU or CUDA (docs/gpu.md): with a GPU (nvidia-smi lists one, or the venv's
# torch sees one) mmcv's ops are compiled for CUDA too (FORCE_CUDA=1, nvcc from
# CUDA_HOME, /usr/local/cuda[-X.Y] or the pip CUDA packages), into a wheel cache
# of its own, and the import check runs mmcv.ops.roi_align / nms on the GPU.
# Without one nothing changes. DENSE_SSL_DEVICE=cpu|cuda|auto (default auto)
# forces the route; --dry-run prints the route and what would be built, and
# changes nothing.
set -euo pipefail
DRY=0
for arg in "$@"; do
  case $arg in
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[setup] unknown option $arg (--dry-run, --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3.11}
VENV=${VENV:-$ROOT/.venv}
CACHE=${DENSE_SSL_CACHE:-$HOME/.cache/dense_ssl}
STAMP=$VENV/.dense_ssl_stamp
DEVICE=${DENSE_SSL_DEVICE:-auto}
NVSMI=${DENSE_SSL_NVIDIA_SMI:-nvidia-smi}  # tests point this at a fake one
say() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 3; }

# --- which route: cpu or cuda -------------------------------------------------
GPU_NAME='' GPU_CC=''
detect_gpu() {  # first GPU's name and compute capability, from nvidia-smi
  command -v "$NVSMI" >/dev/null 2>&1 || return 1
  local line
  line=$("$NVSMI" --query-gpu=name,compute_cap --format=csv,noheader 2>/dev/null \
         | head -n1) || return 1
  [ -n "$line" ] || return 1
  GPU_NAME=$(echo "${line%%,*}" | sed 's/ *$//')
  GPU_CC=$(echo "${line#*,}" | tr -d ' ')
}
torch_sees_gpu() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
    'import sys, torch; sys.exit(0 if torch.cuda.device_count() else 1)' 2>/dev/null
}
case $DEVICE in
  cpu) ROUTE=cpu; WHY='DENSE_SSL_DEVICE=cpu' ;;
  cuda) ROUTE=cuda; WHY='DENSE_SSL_DEVICE=cuda'; detect_gpu || true ;;
  auto)
    if detect_gpu; then ROUTE=cuda; WHY="nvidia-smi: $GPU_NAME, compute capability $GPU_CC"
    elif torch_sees_gpu; then ROUTE=cuda; WHY='torch sees a CUDA device'
    else ROUTE=cpu; WHY='no GPU (no nvidia-smi listing one, torch sees none)'; fi ;;
  *) die "DENSE_SSL_DEVICE must be cpu, cuda or auto, not '$DEVICE'" ;;
esac
say "route: $ROUTE ($WHY)"

want=$( (cat requirements/*.txt setup.py tools/setup_env.sh; echo "route=$ROUTE") \
        | sha256sum | cut -d' ' -f1)
if [ "$DRY" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  say "$VENV is up to date"; exit 0
fi
t0=$(date +%s)
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
LOCK=()
[ -f requirements/lock.txt ] && LOCK=(-c requirements/lock.txt)

if [ "$DRY" = 0 ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  say "torch, numpy and build tools"
  pip install -q "${LOCK[@]}" torch==2.14.1 torchvision==0.29.1 numpy==1.26.4 \
    setuptools==80.9.0 wheel ninja
fi
# one import of torch: "<version> <cuda or ->"
TORCH_INFO=$([ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
  'import torch; print(torch.__version__.split("+")[0], torch.version.cuda or "-")' \
  2>/dev/null || true)
have_torch() { [ -n "$TORCH_INFO" ]; }
if have_torch; then
  TORCH=${TORCH_INFO% *} TORCH_CUDA=${TORCH_INFO#* }
  [ "$TORCH_CUDA" = - ] && TORCH_CUDA=''
else  # dry run before the first set-up
  TORCH=2.14.1 TORCH_CUDA=''
  say "torch is not installed in $VENV yet: assuming torch $TORCH, its CUDA version unknown"
fi

# --- the CUDA toolkit (cuda route) ---------------------------------------------
nvcc_release() { "$1/bin/nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9.]*\),.*/\1/p'; }
find_cuda_home() {
  local site c top
  site=$([ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
         'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null || true)
  # DENSE_SSL_CUDA_SEARCH replaces the usual places (the tests use it)
  for c in "${CUDA_HOME:-}" "${CUDA_PATH:-}" ${DENSE_SSL_CUDA_SEARCH-/usr/local/cuda \
           ${TORCH_CUDA:+/usr/local/cuda-$TORCH_CUDA} \
           ${site:+$site/nvidia/cu${TORCH_CUDA%%.*}} ${site:+$site/nvidia/cuda_nvcc}}; do
    if [ -n "$c" ] && [ -x "$c/bin/nvcc" ]; then echo "$c"; return 0; fi
  done
  if command -v nvcc >/dev/null 2>&1; then  # a wrapper on PATH: ask nvcc itself
    top=$(nvcc --dryrun -c -x cu /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -n1)
    if [ -n "$top" ] && [ -x "$top/bin/nvcc" ]; then (cd "$top" && pwd); return 0; fi
  fi
  return 1
}
if [ "$ROUTE" = cuda ]; then
  if have_torch && [ -z "$TORCH_CUDA" ]; then
    die "torch $TORCH in $VENV is a CPU-only build: install a CUDA build of torch $TORCH, or set DENSE_SSL_DEVICE=cpu"
  fi
  CUDA_HOME_FOUND=$(find_cuda_home) || die "a GPU is present but no nvcc was found (looked in \$CUDA_HOME, \$CUDA_PATH, /usr/local/cuda${TORCH_CUDA:+, /usr/local/cuda-$TORCH_CUDA}, the pip CUDA packages of $VENV and PATH). Install the CUDA toolkit ${TORCH_CUDA:-of the CUDA version torch was built with} (or pip install nvidia-cuda-nvcc${TORCH_CUDA:+ ==${TORCH_CUDA}.*}) and set CUDA_HOME, or set DENSE_SSL_DEVICE=cpu to build the CPU ops only"
  NVCC_REL=$(nvcc_release "$CUDA_HOME_FOUND")
  [ -n "$NVCC_REL" ] || die "$CUDA_HOME_FOUND/bin/nvcc --version does not say its release"
  if [ -n "$TORCH_CUDA" ] && [ "${NVCC_REL%%.*}" != "${TORCH_CUDA%%.*}" ]; then
    die "nvcc $NVCC_REL ($CUDA_HOME_FOUND) does not match torch's CUDA $TORCH_CUDA: point CUDA_HOME at a CUDA ${TORCH_CUDA%%.*}.x toolkit"
  fi
  ARCH=${TORCH_CUDA_ARCH_LIST:-$GPU_CC}
  [ -n "$ARCH" ] || die "no GPU to read the compute capability from: set TORCH_CUDA_ARCH_LIST (e.g. 9.0 for H100/H200)"
  say "nvcc: $CUDA_HOME_FOUND/bin/nvcc (CUDA $NVCC_REL; torch's CUDA ${TORCH_CUDA:-unknown}), arch $ARCH"
  MMCV_DIR=$CACHE/mmcv-2.0.1-torch$TORCH-cuda$NVCC_REL-sm$(echo "$ARCH" | tr -d '.' | tr ' ;' '__')
  BUILD_ENV=(MMCV_WITH_OPS=1 FORCE_CUDA=1 "CUDA_HOME=$CUDA_HOME_FOUND"
             "TORCH_CUDA_ARCH_LIST=$ARCH" "PATH=$CUDA_HOME_FOUND/bin:$PATH")
  CHECK_DEVICES='cpu cuda'
else
  MMCV_DIR=$CACHE/mmcv-2.0.1-torch$TORCH
  BUILD_ENV=(MMCV_WITH_OPS=1 FORCE_CUDA=0)
  CHECK_DEVICES=cpu
fi
say "mmcv wheel cache: $MMCV_DIR"
say "mmcv build env: ${BUILD_ENV[*]//PATH=*/PATH=...} MAX_JOBS=${MAX_JOBS:-2}"
say "import check: mmcv.ops roi_align / nms on $CHECK_DEVICES"
if [ "$DRY" = 1 ]; then
  if ls "$MMCV_DIR"/mmcv-2.0.1-*.whl >/dev/null 2>&1; then
    say "cached wheel: $(ls "$MMCV_DIR"/mmcv-2.0.1-*.whl | head -n1)"
  else say "no cached wheel: mmcv would be compiled"; fi
  say "dry run: nothing changed"; exit 0
fi

if ! ls "$MMCV_DIR"/mmcv-2.0.1-*.whl >/dev/null 2>&1; then
  say "building mmcv 2.0.1 with $ROUTE ops from source (~12 min on 2 cores for the CPU ops, once)"
  work=$(mktemp -d)
  pip download -q --no-deps --no-binary :all: -d "$work" mmcv==2.0.1
  tar -xzf "$work"/mmcv-2.0.1.tar.gz -C "$work"
  # mmcv 2.0.1 asks for C++14; torch >= 2.13 headers need C++20 ("#error C++20 or later").
  sed -i 's/-std=c++14/-std=c++20/g' "$work"/mmcv-2.0.1/setup.py
  mkdir -p "$MMCV_DIR"
  (cd "$work/mmcv-2.0.1" && env "${BUILD_ENV[@]}" MAX_JOBS=${MAX_JOBS:-2} \
    "$VENV/bin/python" -m pip wheel -q --no-build-isolation --no-deps -w "$MMCV_DIR" .)
  rm -rf "$work"
fi

say "OpenMMLab stack and the rest"
pip install -q "${LOCK[@]}" --find-links "$MMCV_DIR" -r requirements/runtime.txt -r requirements/tests.txt
# a venv set up on a CPU machine before has the CPU build of the same version
[ "$ROUTE" = cuda ] && pip install -q --no-deps --force-reinstall \
  "$(ls "$MMCV_DIR"/mmcv-2.0.1-*.whl | head -n1)"
pip install -q --no-deps -r requirements/nodeps.txt
pip install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c 'import mmcv.ops, mmselfsup, mmdet, mmseg, higra, dense_ssl' \
  || { echo "[setup] import check failed" >&2; exit 1; }
for dev in $CHECK_DEVICES; do
  "$VENV/bin/python" -c "from dense_ssl.benchmarks.ops_check import check_mmcv_ops; print('[setup]', check_mmcv_ops('$dev'))" \
    || { echo "[setup] mmcv ops check on $dev failed" >&2; exit 1; }
done
[ -f requirements/lock.txt ] || pip freeze --exclude-editable | grep -v '^-e ' > requirements/lock.txt
echo "$want" > "$STAMP"
say "done in $(( $(date +%s) - t0 )) s"
