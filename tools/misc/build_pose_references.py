"""Build the project's 3D face references ``ref68.npy`` and ``ref5.npy`` (BSD-3 source).

The 68 iBUG points come from ``menpo3d/data/template.ljson`` in the menpo3d 0.8.6 sdist
(BSD-3-Clause, see ``pose_references/README.md``), fetched with pip into the cache folder
and checked against a fixed sha256. They are converted to the img2pose axes (x toward the
face's own left ear, y down, the nose toward -z), micrometres to decimetres, centred on their
centroid and made exactly mirror-symmetric under ``FLIP_PERM_68``. The 5 points (eye centres,
nose tip, mouth corners) are derived from the 68. Re-running gives identical files.

    python tools/misc/build_pose_references.py [--cache-dir data/cache] [--out-dir pose_references]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mmpose6d.geometry import FLIP_PERM_68  # noqa: E402
from mmpose6d.utils import fetch_package_file, read_ljson_points  # noqa: E402

SOURCE = dict(package='menpo3d', version='0.8.6', member_path='menpo3d/data/template.ljson',
              sha256='96ad2c8b55b74e026cdc190cf6b1564ad7c8e6c53976cf897d6a1bf4940f084a')
#: template.ljson units (micrometres, as the Basel-style templates menpo3d works with) per
#: output unit (decimetre)
SOURCE_UNITS_PER_DM = 1e5
#: template axes (x to the face's left, y up, nose toward +z) -> img2pose (y down, nose -z)
AXES_SIGN = np.array([1.0, -1.0, -1.0])


def mirror_symmetric(points):
    """Average each point with its x-mirrored partner (centre-line points get x = 0).

    Pairs get exactly negated x and equal y, z, so mirroring reproduces the array bit for bit.
    """
    mirrored = points[FLIP_PERM_68] * [-1.0, 1.0, 1.0]
    return 0.5 * (points + mirrored)


def five_points(ref68):
    """The img2pose 5-point order: eye centres (36-41, 42-47), nose tip 30, mouth 48, 54."""
    return np.stack([ref68[36:42].mean(0), ref68[42:48].mean(0), ref68[30], ref68[48],
                     ref68[54]])


def build_references(template_points):
    """(ref68, ref5) float64 in decimetres, img2pose axes, from the raw template (68,3)."""
    if template_points.shape != (68, 3) or not np.isfinite(template_points).all():
        raise ValueError(f'expected 68 finite 3D points, got {template_points.shape}')
    points = template_points * AXES_SIGN / SOURCE_UNITS_PER_DM
    ref68 = mirror_symmetric(points - points.mean(0))
    # the x mean is zero by symmetry; only y, z may carry rounding, removed without touching x
    ref68[:, 1:] -= ref68[:, 1:].mean(0)
    return ref68, five_points(ref68)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cache-dir', type=Path, default=REPO / 'data' / 'cache',
                        help='where the downloaded sdist is kept (default: data/cache)')
    parser.add_argument('--out-dir', type=Path, default=REPO / 'pose_references',
                        help='where ref68.npy and ref5.npy are written')
    return parser.parse_args()


def main():
    args = parse_args()
    template = fetch_package_file(cache_dir=args.cache_dir, **SOURCE)
    ref68, ref5 = build_references(read_ljson_points(template))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.save(args.out_dir / 'ref68.npy', ref68)
    np.save(args.out_dir / 'ref5.npy', ref5)
    print(f'{template} -> {args.out_dir}/ref68.npy, ref5.npy')
    print(f'outer eye corners 36-45: {np.linalg.norm(ref68[45] - ref68[36]):.4f} dm, '
          f'extent (dm): {np.round(np.ptp(ref68, axis=0), 4).tolist()}')


if __name__ == '__main__':
    main()
