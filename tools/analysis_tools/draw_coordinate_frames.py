"""Draw the picture of docs/coordinates.md: the model's camera, a face's reference frame and
what positive pitch, yaw and roll look like, on renders of the bundled face scan.

    python tools/analysis_tools/draw_coordinate_frames.py [--out docs/coordinates.jpg]

Top: an 800 x 420 image seen by the model's camera (f = w + h, principal point (w // 2,
h // 2)), two faces with their axes (x red, y green, z blue) and their pitch / yaw / roll
and translation as the model reports them. Bottom: the same face frontal and at +25 degrees
of pitch, yaw and roll alone. The face scan is fetched once into data/cache.
"""
import argparse

import cv2
import numpy as np

from mmpose6d.geometry import image_intrinsics, rotvec_to_euler
from mmpose6d.synthesis import FaceScan, render_face
from mmpose6d.testing import known_pose
from mmpose6d.visualization import draw_pose_axes

WHITE, GREY, YELLOW = (255, 255, 255), (90, 90, 90), (0, 220, 255)


def _text(img, text, origin, scale=0.45, color=WHITE):
    cv2.putText(img, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _render(scan, width, height, faces):
    """A grey image with the faces (euler, u, v, distance) drawn far first, and their axes."""
    intrinsics = image_intrinsics(width, height)
    image = np.full((height, width, 3), 70, np.uint8)
    poses = np.array([known_pose(euler, (u, v), distance, width, height)
                      for euler, u, v, distance in faces])
    for pose in poses[np.argsort(-poses[:, 5])]:
        render_face(image, scan, pose, intrinsics, light=(0.3, -0.4, -1.0), ambient=0.5)
    draw_pose_axes(image, poses, intrinsics, scan.landmarks68, thickness=2)
    return image, poses, intrinsics


def scene(scan):
    """The top panel: the camera's axes and two posed faces with their reported numbers."""
    width, height = 800, 420
    image, poses, intrinsics = _render(scan, width, height, [((10, -35, 0), 220, 215, 15.0),
                                                             ((-15, 30, 20), 610, 190, 21.0)])
    cx, cy = int(intrinsics[0, 2]), int(intrinsics[1, 2])
    cv2.drawMarker(image, (cx, cy), YELLOW, cv2.MARKER_CROSS, 14, 2)
    cv2.arrowedLine(image, (cx, cy), (cx + 60, cy), (0, 0, 255), 2, tipLength=0.2)
    cv2.arrowedLine(image, (cx, cy), (cx, cy + 60), (0, 200, 0), 2, tipLength=0.2)
    cv2.circle(image, (cx, cy), 7, (255, 120, 0), 2)
    _text(image, 'camera x', (cx + 8, cy - 8), color=(80, 80, 255))
    _text(image, 'camera y', (cx - 30, cy + 78), color=(80, 220, 80))
    _text(image, 'camera z: into the image (o)', (cx + 14, cy + 24), color=(255, 160, 60))
    _text(image, f'model camera: f = w + h = {width + height} px, principal point '
          f'(w // 2, h // 2) = ({cx}, {cy})', (10, 20), color=YELLOW)
    for pose, euler in zip(poses, rotvec_to_euler(poses[:, :3])):
        u = int(intrinsics[0, 0] * pose[3] / pose[5] + cx) - 90
        v = int(intrinsics[1, 1] * pose[4] / pose[5] + cy) + 95
        _text(image, 'pitch {:+.0f} yaw {:+.0f} roll {:+.0f}'.format(*np.round(euler) + 0.0),
              (u, v))
        _text(image, 't = ({:+.2f}, {:+.2f}, {:.1f}) scan units (dm)'.format(*pose[3:]),
              (u, v + 18))
    _text(image, 'face axes: x red (its left ear), y green (down), z blue (back of the head)',
          (10, height - 12))
    return image


def angle_row(scan):
    """The bottom panel: frontal, then +25 degrees of pitch, yaw and roll alone."""
    tiles = []
    for name, euler in (('frontal', (0, 0, 0)), ('pitch +25: looks up', (25, 0, 0)),
                        ('yaw +25: turns to its right', (0, 25, 0)),
                        ('roll +25: tilts to its left', (0, 0, 25))):
        tile, _, _ = _render(scan, 200, 190, [(euler, 100, 95, 7.0)])
        _text(tile, name, (6, 182), scale=0.4)
        tiles.append(tile)
    return np.concatenate(tiles, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='docs/coordinates.jpg')
    parser.add_argument('--cache-dir', default='data/cache')
    args = parser.parse_args(argv)
    scan = FaceScan.fetch(args.cache_dir)
    picture = np.concatenate([scene(scan), angle_row(scan)], 0)
    cv2.imwrite(args.out, picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(f'{args.out}: {picture.shape[1]} x {picture.shape[0]}')


if __name__ == '__main__':
    main()
