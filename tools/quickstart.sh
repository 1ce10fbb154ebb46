#!/usr/bin/env bash
# The main job on the bundled data, CPU-sized: fetch the face scan, render the four splits
# (train, val, and two held-out ones never trained on: `other`, drawn differently, and
# `shifted`, drawn further away: other image sizes, larger faces, stronger poses, colour-wheel
# backgrounds, dark coloured light), compute the pose statistics of the RoI targets, train the
# CPU model (validated on val along the way), print its learning curve, test it on `other`
# and on `shifted`, print both side by side and draw its predictions on an `other` image.
#   bash tools/quickstart.sh [MAX_ITERS]     (outputs in work_dirs/quickstart, outputs/quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
CONFIG=configs/img2pose/r18_fpn_rendered_cpu.py
ITERS=${1:-1000}
VAL=$(((ITERS + 3) / 4))  # 4 evaluation points, the last one at the end of training
ITERS=$((VAL * 4))
WORK=work_dirs/quickstart
OUT=outputs/quickstart
DATA=data/rendered
TIMES=()
START=$(date +%s)

step() {  # step NAME COMMAND...: run it and keep its wall time for the summary
    local name=$1 begin
    shift
    begin=$(date +%s)
    echo "[quickstart] $name"
    "$@"
    TIMES+=("$(printf '%-34s %5d s' "$name" $(($(date +%s) - begin)))")
}

step "fetch the face scan" "$PY" tools/data/fetch_face_scan.py
step "render train / val / other / shifted" "$PY" tools/dataset_converters/render_faces.py \
    --out "$DATA" --train 600 --val 60 --other 60 --shifted 40 --size 512 --faces 6 14 \
    --face-size 40 220 --angles 45 80 30 --workers 2 --seed 0
step "pose statistics of the RoI targets" "$PY" tools/dataset_converters/compute_pose_stats.py \
    "$DATA/annotations/train_annotations.txt" --out-dir "$DATA" --roi-targets \
    --image-root "$DATA/train/images" --reference68 "$DATA/scan_ref68.npy" \
    --reference5 "$DATA/scan_ref5.npy" --solve-in image
# validated on val every quarter, the last at the end: the learning curve (no second pass)
step "train ($ITERS iterations)" "$PY" tools/train.py "$CONFIG" --work-dir "$WORK" \
    --cfg-options train_cfg.max_iters="$ITERS" train_cfg.val_interval="$VAL" \
    default_hooks.checkpoint.interval="$ITERS" "param_scheduler.1.milestones=[$((ITERS * 4 / 5))]"
echo "[quickstart] learning curve on val (60 images, the train distribution):"
"$PY" tools/analysis_tools/learning_curve.py "$WORK"
step "test on other" "$PY" tools/test.py "$CONFIG" "$WORK/iter_$ITERS.pth" --work-dir "$WORK/test"
step "test on shifted" "$PY" tools/test.py "$CONFIG" "$WORK/iter_$ITERS.pth" \
    --work-dir "$WORK/test_shifted" --cfg-options \
    test_dataloader.dataset.ann_file=annotations/shifted_annotations.txt \
    test_dataloader.dataset.data_prefix.img=shifted/images/ \
    test_evaluator.gt_poses_file="$DATA/annotations/shifted_render_poses.json"
step "demo picture" "$PY" demo/image_demo.py "$DATA/other/images/other_000000.jpg" "$CONFIG" \
    --weights "$WORK/iter_$ITERS.pth" --out-dir "$OUT" --pred-score-thr 0.5
echo "[quickstart] step times:"
printf '  %s\n' "${TIMES[@]}"
printf '  %-34s %5d s\n' "total" $(($(date +%s) - START))
echo "[quickstart] held-out splits (never trained on):"
"$PY" tools/analysis_tools/compare_test_metrics.py other="$WORK/test" \
    shifted="$WORK/test_shifted"
echo "[quickstart] metrics: $WORK/test/*/*.json, $WORK/test_shifted/*/*.json; picture:" \
    "$OUT/vis/other_000000.jpg"
