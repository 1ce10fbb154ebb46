"""6DoF face poses from annotated 2D landmarks (EPnP, as img2pose labels them), drawn.

Prints each face's global pose [rx ry rz tx ty tz] and pitch/yaw/roll in degrees, and writes
the image with the input landmarks (yellow), the reference points projected with the
recovered pose (green) and the pose axes (x red, y green, z blue).

    python tools/misc/pose_from_landmarks.py IMAGE LANDMARKS --out OUT.jpg [--reference REF]

LANDMARKS is an iBUG ``.pts`` file (one face, 1-based) or a JSON file
``{"landmarks": [[[u, v], ...], ...], "bboxes": [[x1, y1, x2, y2], ...]}`` (several faces,
0-based pixels, ``bboxes`` optional). Without boxes, a face's box is its landmarks' extent.
The reference defaults to ``pose_references/ref68.npy`` or ``ref5.npy`` to match the
number of landmarks.
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from mmpose6d.geometry import (global_pose_from_landmarks, image_intrinsics, project_points,
                               rotvec_to_euler)
from mmpose6d.utils import read_faces_json, read_pts
from mmpose6d.visualization import draw_points, draw_pose_axes

REPO = Path(__file__).resolve().parents[2]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('image', type=Path)
    parser.add_argument('landmarks', type=Path, help='.pts file or img2pose-style .json')
    parser.add_argument('--out', type=Path, required=True, help='output image path')
    parser.add_argument('--reference', type=Path,
                        help='3D reference .npy (P,3); default '
                        'pose_references/ref{P}.npy')
    return parser.parse_args()


def load_faces(path):
    """Landmarks (N,P,2) and boxes (N,4) of a .pts or .json file."""
    if path.suffix.lower() == '.pts':
        landmarks, boxes = read_pts(path)[None], None
    elif path.suffix.lower() == '.json':
        landmarks, boxes = read_faces_json(path)
    else:
        sys.exit(f'{path}: unknown landmark file type (expected .pts or .json)')
    if boxes is None:
        boxes = np.concatenate([landmarks.min(1), landmarks.max(1)], 1)
    return landmarks, boxes


def main():
    args = parse_args()
    img = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f'{args.image}: cannot read the image')
    landmarks, boxes = load_faces(args.landmarks)
    num_points = landmarks.shape[1]
    ref_path = args.reference or REPO / 'pose_references' / f'ref{num_points}.npy'
    if not ref_path.is_file():
        sys.exit(f'{ref_path}: no such reference for {num_points}-point landmarks')
    reference = np.load(ref_path)
    if reference.shape != (num_points, 3):
        sys.exit(f'{ref_path}: reference has shape {reference.shape}, the landmarks need '
                 f'({num_points}, 3)')

    h, w = img.shape[:2]
    poses, reasons = global_pose_from_landmarks(landmarks, boxes, (w, h), reference,
                                                return_reasons=True)
    valid = ~np.isnan(poses).any(1)
    euler = np.full((len(poses), 3), np.nan)
    if valid.any():
        euler[valid] = rotvec_to_euler(poses[valid, :3])
    for i, (pose, angles, reason) in enumerate(zip(poses, euler, reasons)):
        if reason:
            print(f'face {i}: no pose ({reason})')
            continue
        values = ' '.join(f'{v:+.4f}' for v in pose)
        print(f'face {i}: pose [rx ry rz tx ty tz] = [{values}]  pitch={angles[0]:+.2f} '
              f'yaw={angles[1]:+.2f} roll={angles[2]:+.2f} (degrees)')

    intrinsics = image_intrinsics(w, h)
    radius = max(1.0, min(w, h) / 300)
    draw_points(img, landmarks, color=(0, 255, 255), radius=radius)
    if valid.any():
        draw_points(img, project_points(reference, poses[valid], intrinsics), radius=radius)
    draw_pose_axes(img, poses, intrinsics, reference, thickness=max(1, round(radius)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), img):
        sys.exit(f'{args.out}: cannot write the image (unknown extension?)')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
