#!/usr/bin/env bash
# Build .venv from nothing: the pinned OpenMMLab stack, mmcv 2.0.1 compiled from
# source with its ops (the wheel is cached and reused), and dense_ssl in editable mode.
# Idempotent: when the requirement files have not changed since the last
# successful run, it only checks the stamp and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3.11}
VENV=${VENV:-$ROOT/.venv}
CACHE=${DENSE_SSL_CACHE:-$HOME/.cache/dense_ssl}
STAMP=$VENV/.dense_ssl_stamp
want=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "[setup] $VENV is up to date"; exit 0
fi
t0=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
LOCK=()
[ -f requirements/lock.txt ] && LOCK=(-c requirements/lock.txt)

echo "[setup] torch, numpy and build tools"
pip install -q "${LOCK[@]}" torch==2.14.1 torchvision==0.29.1 numpy==1.26.4 \
  setuptools==80.9.0 wheel ninja

TORCH=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')
MMCV_DIR=$CACHE/mmcv-2.0.1-torch$TORCH
if ! ls "$MMCV_DIR"/mmcv-2.0.1-*.whl >/dev/null 2>&1; then
  echo "[setup] building mmcv 2.0.1 with ops from source (~12 min on 2 cores, once)"
  work=$(mktemp -d)
  pip download -q --no-deps --no-binary :all: -d "$work" mmcv==2.0.1
  tar -xzf "$work"/mmcv-2.0.1.tar.gz -C "$work"
  # mmcv 2.0.1 asks for C++14; torch >= 2.13 headers need C++20 ("#error C++20 or later").
  sed -i 's/-std=c++14/-std=c++20/g' "$work"/mmcv-2.0.1/setup.py
  mkdir -p "$MMCV_DIR"
  (cd "$work/mmcv-2.0.1" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} \
    "$VENV/bin/python" -m pip wheel -q --no-build-isolation --no-deps -w "$MMCV_DIR" .)
  rm -rf "$work"
fi

echo "[setup] OpenMMLab stack and the rest"
pip install -q "${LOCK[@]}" --find-links "$MMCV_DIR" -r requirements/runtime.txt -r requirements/tests.txt
pip install -q --no-deps -r requirements/nodeps.txt
pip install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c 'import mmcv.ops, mmselfsup, mmdet, mmseg, higra, dense_ssl' \
  || { echo "[setup] import check failed" >&2; exit 1; }
[ -f requirements/lock.txt ] || pip freeze --exclude-editable | grep -v '^-e ' > requirements/lock.txt
echo "$want" > "$STAMP"
echo "[setup] done in $(( $(date +%s) - t0 )) s"
