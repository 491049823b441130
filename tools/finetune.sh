#!/usr/bin/env bash
# Transfer a pre-trained ResNet-50 to detection / segmentation with one of the
# benchmark configs, through mim (mmdet's / mmseg's own tools/train.py).
#
# 1. exports the backbone of CHECKPOINT to WORK_DIR/pretrained_backbone.pth
#    (safe weights_only loading; refuses a non-ResNet checkpoint early);
# 2. runs `mim train PKG CONFIG` with PRETRAINED pointing at that file.
# GPUS=0 trains on the CPU in one process, GPUS=1 on one GPU; in both cases
# mmengine's Runner reverts SyncBN to BN (not distributed). GPUS>1 launches
# GPUS processes with `--launcher pytorch` (SyncBN as configured).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: tools/finetune.sh PKG CONFIG CHECKPOINT [GPUS] [extra `mim train` args]

  PKG         mmdet or mmseg
  CONFIG      a config of configs/benchmarks/ (any config whose init_cfg
              reads the PRETRAINED environment variable)
  CHECKPOINT  a pre-training checkpoint (Runner .pth) or an export of
              tools/model_converters/extract_backbone.py
  GPUS        0: CPU, one process (default); 1: one GPU; N: N GPUs, pytorch
              launcher
  extra args  passed on, e.g. --cfg-options train_dataloader.batch_size=4
              or --auto-scale-lr

Environment: WORK_DIR (default work_dirs/<config name>), PYTHON (default
python), PORT (rendezvous port for GPUS>1).

Example (8 GPUs, VOC07+12 Faster R-CNN R50-C4):
  tools/finetune.sh mmdet \
    configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_8xb2-ms-24k_voc0712.py \
    work_dirs/densecl_r50_coco/epoch_800.pth 8
EOF
}

case "${1:-}" in -h|--help|"") usage; exit 0 ;; esac
if [ $# -lt 3 ]; then usage >&2; exit 2; fi
PKG=$1 CONFIG=$2 CHECKPOINT=$3
shift 3
GPUS=0
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then GPUS=$1; shift; fi
case "$PKG" in mmdet|mmseg) ;; *)
  echo "error: PKG must be mmdet or mmseg, got '$PKG'" >&2; exit 2 ;; esac
[ -f "$CONFIG" ] || { echo "error: config not found: $CONFIG" >&2; exit 2; }
[ -f "$CHECKPOINT" ] || { echo "error: checkpoint not found: $CHECKPOINT" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python}
WORK_DIR=${WORK_DIR:-work_dirs/$(basename "$CONFIG" .py)}
mkdir -p "$WORK_DIR"
BACKBONE=$WORK_DIR/pretrained_backbone.pth

echo "[finetune] exporting the backbone of $CHECKPOINT"
"$PYTHON" "$ROOT/tools/model_converters/extract_backbone.py" "$CHECKPOINT" "$BACKBONE"

if [ "$GPUS" -gt 1 ]; then
  LAUNCH=(--launcher pytorch --gpus "$GPUS" --port "${PORT:-29500}")
else
  LAUNCH=(--launcher none --gpus "$GPUS")
  # GPUS=0: hide any GPU so that the Runner builds everything on the CPU
  if [ "$GPUS" -eq 0 ]; then export CUDA_VISIBLE_DEVICES=; fi
fi
echo "[finetune] mim train $PKG $CONFIG (GPUS=$GPUS, work dir $WORK_DIR)"
PRETRAINED=$BACKBONE exec "$PYTHON" -m mim train "$PKG" "$CONFIG" \
  "${LAUNCH[@]}" --work-dir "$WORK_DIR" "$@"
