#!/usr/bin/env bash
# One prepared check of the GPU stack (docs/gpu.md), <= 8 min on one H200:
#   1 setup     tools/setup_env.sh (cached; builds mmcv's CUDA ops once)
#   2 ops       mmcv.ops roi_align + nms on the device, against hand values
#   3 densecl   R50 batch 32 steps: MMSelfSup DenseCL fp32, ours fp32,
#               ours fp32 channels_last, ours AMP + channels_last
#   4 hg        HG R50 steps, fp32 and AMP
#   5 hed       HED hierarchy building (edges on the device) per image
#   6 mim       DenseCL and HG trained a few iterations via `mim train`
#               (--amp on CUDA) on the packaged photos
# then prints one table (samples/s, ms/step, x MMSelfSup fp32, peak GiB).
# Every step has a time limit; the first failure stops the check with a
# non-zero exit naming the step and its log.
# Usage: tools/benchmarks/gpu_check.sh [--device cuda|cpu] [--dry-run]
#        [--skip-setup] [--out DIR]
#   --dry-run: tiny sizes (ResNet-18, batch 2, 64 px, 1 step, 1 iteration),
#   setup only --dry-run: with --device cpu the CI test of this script.
set -uo pipefail
cd "$(dirname "$0")/../.."
DEVICE=cuda DRY=0 SKIP_SETUP=0 OUT=work_dirs/gpu_check
while [ $# -gt 0 ]; do
  case $1 in
    --device) DEVICE=${2:?--device needs a value}; shift ;;
    --dry-run) DRY=1 ;;
    --skip-setup) SKIP_SETUP=1 ;;
    --out) OUT=${2:?--out needs a value}; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[gpu_check] unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
PY=${VENV:-.venv}/bin/python
MIM=${VENV:-.venv}/bin/mim
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
mkdir -p "$OUT"
ROWS=$OUT/rows.jsonl
rm -f "$ROWS"
DRYARG=() ; [ "$DRY" = 1 ] && DRYARG=(--dry-run)
t_start=$(date +%s)

# step NUMBER NAME LIMIT_S command...: run with a time limit, log to a file
step() {
  local n=$1 name=$2 limit=$3; shift 3
  local log=$OUT/step$n-$name.log t0=$(date +%s) rc
  echo "[gpu_check] step $n $name (limit ${limit} s) ..."
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && echo "[gpu_check] step $n $name timed out after $limit s" >&2
    echo "[gpu_check] FAILED at step $n $name (exit $rc); last lines of $log:" >&2
    tail -n 15 "$log" >&2
    exit 10
  fi
  echo "[gpu_check] step $n $name ok ($(( $(date +%s) - t0 )) s)"
}

if [ "$SKIP_SETUP" = 0 ]; then
  step 1 setup 3600 tools/setup_env.sh "${DRYARG[@]}"
fi
[ -x "$PY" ] || { echo "[gpu_check] FAILED at step 1 setup: no $PY" >&2; exit 10; }
step 2 ops 120 "$PY" tools/benchmarks/gpu_bench.py ops --device "$DEVICE" --json "$ROWS"
step 3 densecl 240 "$PY" tools/benchmarks/gpu_bench.py densecl --device "$DEVICE" "${DRYARG[@]}" --json "$ROWS"
step 4 hg 120 "$PY" tools/benchmarks/gpu_bench.py hg --device "$DEVICE" "${DRYARG[@]}" --json "$ROWS"
step 5 hed 90 "$PY" tools/benchmarks/gpu_bench.py hed --device "$DEVICE" "${DRYARG[@]}" --json "$ROWS"

# 6: a few iterations of the demo configs through mim (the GPU is used when
# CUDA is visible; CUDA_VISIBLE_DEVICES='' keeps the CPU run on the CPU)
ITERS=4; [ "$DRY" = 1 ] && ITERS=1
AMP=(); [ "$DEVICE" != cpu ] && AMP=(--amp)
MIM_ENV=(); [ "$DEVICE" = cpu ] && MIM_ENV=(CUDA_VISIBLE_DEVICES=)
SIZE=224; [ "$DRY" = 1 ] && SIZE=64
OPTS=(train_cfg.max_iters=$ITERS default_hooks.checkpoint.interval=$ITERS
      train_dataloader.num_workers=0 train_dataloader.persistent_workers=False)
step 6 prepare-photos 120 "$PY" tools/prepare_demo_data.py --out "$OUT/photos"
step 7 mim-densecl 300 env "${MIM_ENV[@]}" "$MIM" train mmselfsup configs/demo/densecl_demo.py \
  --work-dir "$OUT/densecl" "${AMP[@]}" --cfg-options "${OPTS[@]}" \
  train_dataloader.dataset.data_root="$OUT/photos/" \
  train_dataloader.dataset.pipeline.0.size=$SIZE
step 8 hierarchies 300 "$PY" tools/build_hierarchy.py "$OUT/photos" --out "$OUT/hier" --no-progress
step 9 mim-hg 300 env "${MIM_ENV[@]}" "$MIM" train mmselfsup configs/demo/hiergroup_demo.py \
  --work-dir "$OUT/hg" "${AMP[@]}" --cfg-options "${OPTS[@]}" \
  train_dataloader.dataset.data_prefix.img_path="$OUT/photos/" \
  train_dataloader.dataset.store="$OUT/hier"
for run in densecl hg; do
  grep -q "Iter(train) \[ *$ITERS/$ITERS\]" "$OUT/step$([ $run = densecl ] && echo 7 || echo 9)-mim-$run.log" \
    || { echo "[gpu_check] FAILED at step mim-$run: no log line of iteration $ITERS/$ITERS" >&2; exit 10; }
done

echo
echo "[gpu_check] device $DEVICE$([ "$DRY" = 1 ] && echo ', dry run (tiny sizes)'), $(( $(date +%s) - t_start )) s in all"
"$PY" tools/benchmarks/gpu_bench.py table --json "$ROWS" | tee "$OUT/table.md"
echo "(mim train: DenseCL and HG demo configs, $ITERS iterations each${AMP:+, --amp}: ok)"
