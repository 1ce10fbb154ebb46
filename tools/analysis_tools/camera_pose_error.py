"""Pose and distance errors of a model in a camera unlike img2pose's: its poses as it
assumes the camera (f = w + h) against its poses re-solved in the true camera.

    python tools/analysis_tools/camera_pose_error.py [CONFIG CHECKPOINT] [--images 30] \
        [--out data/rendered_cameras] [--score-thr 0.5] [--device cpu]

For each camera of :data:`CAMERAS` (640 x 480; a wide angle, f = 0.6 (w + h), and a
telephoto, f = 1.8 (w + h), principal points off centre) it renders a split of the `other`
distribution through that camera (``RenderOptions.camera``), runs the model on it with the
camera given (``Img2PoseInferencer(camera=...)``), matches the faces scoring above
``--score-thr`` to the render poses (IoU >= 0.5 with the boxes projected through the camera)
and prints, over the matched faces, the rotation error (mean geodesic angle), the Euler MAE
(pitch, yaw, roll), the relative translation error and the distance error (mm and %, the
face model scaled to the adult mean IPD, and to the scan's own) of the model's poses
(``poses``, read in f = w + h) and of its poses in the camera (``camera_poses``). The
default model is the quick-start's, whose face model is the rendered scan's own points
(decimetres), so the render poses are its ground truth in every unit.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.evaluation.metrics.face_pose_metric import match_image
from mmpose6d.geometry import (ADULT_IPD_MM, Camera, interpupillary_distance, millimetres_per_unit,
                               rotation_angle_deg, rotvec_to_euler, wrap_degrees)
from mmpose6d.synthesis import FaceScan, generate_dataset, split_files
from mmpose6d.synthesis.scan import MM_TO_DM

#: name: (width, height, fx, fy, cx, cy); img2pose would assume f = 640 + 480 = 1120
CAMERAS = {
    'wide': (640, 480, 672.0, 672.0, 352.0, 216.0),
    'telephoto': (640, 480, 2016.0, 2016.0, 300.0, 260.0),
}
#: the `other` split's distribution (render_faces.py's OTHER)
OPTIONS = dict(photo_family='other', photo_fraction=1.0, faces=(1, 3), face_size=(60, 240),
               yaw=60, pitch=25, roll=20, unlabelled_fraction=0.0)


def errors(poses, euler, truth, mm_per_unit):
    """Per-face errors of poses (N,6) / Euler angles (N,3) against render poses (N,6)
    (decimetres): rotation (degrees), |Euler| (N,3), relative translation, distance (mm)."""
    rotation = rotation_angle_deg(poses[:, :3], truth[:, :3])
    euler_error = np.abs(wrap_degrees(euler - rotvec_to_euler(truth[:, :3])))
    translation = np.linalg.norm(poses[:, 3:] - truth[:, 3:], axis=1) / np.linalg.norm(
        truth[:, 3:], axis=1)
    distance = (np.linalg.norm(poses[:, 3:], axis=1) * mm_per_unit -
                np.linalg.norm(truth[:, 3:], axis=1) / MM_TO_DM)
    return rotation, euler_error, translation, distance


def report(name, rotation, euler_error, translation, distance, true_mm, own_scale):
    """One printed row, means over the matched faces; ``own_scale`` turns a distance with
    the adult mean IPD into one with the scan's own."""
    own = (distance + true_mm) * own_scale - true_mm
    print(f'  {name:<18} true distance {true_mm.mean():6.0f} mm  rot {rotation.mean():6.2f}  '
          f'pitch/yaw/roll {euler_error[:, 0].mean():5.2f} {euler_error[:, 1].mean():5.2f} '
          f'{euler_error[:, 2].mean():5.2f} (MAE {euler_error.mean():5.2f})  '
          f'trans {100 * translation.mean():6.2f} %  distance {distance.mean():+8.1f} mm '
          f'(|.| {np.abs(distance).mean():6.1f} mm, {100 * np.mean(distance / true_mm):+6.2f} %)'
          f'  own IPD {100 * np.mean(own / true_mm):+6.2f} % (|.| '
          f'{100 * np.mean(np.abs(own) / true_mm):5.2f} %)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default='configs/img2pose/r18_fpn_rendered_cpu.py')
    parser.add_argument('checkpoint', nargs='?', default='work_dirs/quickstart/iter_1000.pth')
    parser.add_argument('--images', type=int, default=30, help='images per camera')
    parser.add_argument('--out', default='data/rendered_cameras', help='where to render')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', default='data/cache', help='where the scan is fetched')
    args = parser.parse_args(argv)
    scan = FaceScan.fetch(args.cache_dir)
    inferencer = Img2PoseInferencer(args.config, args.checkpoint, device=args.device,
                                    show_progress=False)
    face_model = inferencer.model.face_model
    reference = face_model.reference68.double().cpu().numpy()
    mm_per_unit = millimetres_per_unit(reference)
    scan_ipd_mm = interpupillary_distance(scan.landmarks68) / MM_TO_DM
    print(f'model {args.checkpoint}: reference IPD {interpupillary_distance(reference):.4f} '
          f'units -> {mm_per_unit:.1f} mm per unit at the adult mean {ADULT_IPD_MM} mm; the '
          f'scan\'s own IPD {scan_ipd_mm:.2f} mm (expected distance bias '
          f'{100 * (ADULT_IPD_MM / scan_ipd_mm - 1):+.2f} %)')
    for name, (width, height, fx, fy, cx, cy) in CAMERAS.items():
        camera = Camera.from_intrinsics(fx, fy, cx, cy, image_size=(width, height),
                                        source=name)
        split = f'camera_{name}'
        generate_dataset(args.out, split, args.images, seed=args.seed, scan=scan,
                         camera=(width, height, fx, fy, cx, cy), **OPTIONS)
        _, poses_file, _ = split_files(args.out, split)
        truth_table = {k: np.array(v).reshape(-1, 6) for k, v in
                       json.loads(poses_file.read_text()).items()}
        inferencer.model.camera = camera
        start = time.perf_counter()
        images = sorted((Path(args.out) / split / 'images').glob('*.jpg'))
        preds = inferencer([str(p) for p in images], batch_size=2,
                           pred_score_thr=args.score_thr)['predictions']
        seconds = time.perf_counter() - start
        model, in_camera, truths = [], [], []
        num_gt = 0
        for image, pred in zip(images, preds):
            truth = truth_table[image.name]
            num_gt += len(truth)
            gt_boxes = face_model.camera_boxes(truth, np.array([width, height]), camera)
            matched = match_image(np.array(pred['bboxes']).reshape(-1, 4),
                                  np.array(pred['scores']), gt_boxes, 0.5)
            hit = matched >= 0
            model.append([np.array(pred[k]).reshape(-1, n)[hit] for k, n in
                          (('poses', 6), ('euler', 3))])
            in_camera.append([np.array(pred[k]).reshape(-1, n)[hit] for k, n in
                              (('camera_poses', 6), ('camera_euler', 3))])
            truths.append(truth[matched[hit]])
        truth = np.concatenate(truths)
        true_mm = np.linalg.norm(truth[:, 3:], axis=1) / MM_TO_DM
        print(f'\n{name}: {width} x {height}, fx {fx:g} fy {fy:g} ({fx / (width + height):.1f} '
              f'(w + h)), centre ({cx:g}, {cy:g}); {args.images} images, {num_gt} faces, '
              f'{len(truth)} matched (score > {args.score_thr}); inference {seconds:.1f} s')
        if not len(truth):
            continue
        for label, outputs in (('poses (f = w + h)', model), ('camera_poses', in_camera)):
            poses = np.concatenate([o[0] for o in outputs])
            euler = np.concatenate([o[1] for o in outputs])
            report(label, *errors(poses, euler, truth, mm_per_unit), true_mm,
                   scan_ipd_mm / ADULT_IPD_MM)


if __name__ == '__main__':
    main()
