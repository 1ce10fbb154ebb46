#!/usr/bin/env bash
# The main job on the bundled data, CPU-sized: render the faces (once), train the CPU model,
# test it on the held-out rendered split and draw its predictions on a val image.
#   bash tools/quickstart.sh [MAX_ITERS]     (default 200; outputs in outputs/quickstart/)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
ITERS=${1:-200}
CONFIG=configs/img2pose/r18_fpn_rendered_cpu.py
WORK=work_dirs/quickstart
OUT=outputs/quickstart

"$PY" tools/data/fetch_face_scan.py
"$PY" tools/dataset_converters/render_faces.py --out data/rendered --train 300 --val 60 \
    --size 640 --workers 2 --seed 0
"$PY" tools/dataset_converters/compute_pose_stats.py data/rendered/annotations/train_annotations.txt \
    --out-dir data/rendered --reference68 data/rendered/scan_ref68.npy \
    --reference5 data/rendered/scan_ref5.npy
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK" --cfg-options \
    train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS" \
    "param_scheduler.1.milestones=[$((ITERS * 4 / 5))]"
"$PY" tools/test.py "$CONFIG" "$WORK/iter_$ITERS.pth" --work-dir "$WORK/test"
"$PY" demo/image_demo.py data/rendered/val/images/val_000000.jpg "$CONFIG" \
    --weights "$WORK/iter_$ITERS.pth" --out-dir "$OUT" --pred-score-thr 0.3
echo "[quickstart] metrics: $WORK/test/*/*.json; picture: $OUT/vis/val_000000.jpg"
