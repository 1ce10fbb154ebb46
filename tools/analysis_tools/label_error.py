"""How far PnP pose labels of a rendered split are from its exact render poses.

    python tools/analysis_tools/label_error.py data/rendered --split val \
        [--reference pose_references/ref68.npy \
         --reference5 pose_references/ref5.npy]

Labels are made as img2pose makes them (EPnP in each face's box, its box camera, then local
-> global; the WIDER recipes' labels), while the faces were rendered through the image's one
camera (the rendered recipe solves in that camera instead: exact). Without
``--reference`` the scan's own ``scan_ref68.npy`` / ``scan_ref5.npy`` are used: what remains
is the cost of img2pose's labelling itself. With the project's references the extra error is
the bias between the two 3D faces. Angle differences are label minus render.
"""
import argparse

import numpy as np

from mmpose6d.synthesis import label_errors


def summary(errors, mask):
    """Printable lines of the errors of the faces in ``mask``."""
    rot, euler, trans = errors['rotation'][mask], errors['euler'][mask], \
        errors['translation'][mask]
    lines = [f'  rotation error (deg): mean {rot.mean():.3f}  median {np.median(rot):.3f}  '
             f'max {rot.max():.3f}']
    for name, column in zip(('pitch', 'yaw', 'roll'), euler.T):
        lines.append(f'  {name:5s} error (deg): {column.mean():+.3f} +- {column.std():.3f}')
    lines.append(f'  translation relative error: mean {trans.mean():.4f}  median '
                 f'{np.median(trans):.4f}  max {trans.max():.4f}')
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_dir', help='output folder of render_faces.py')
    parser.add_argument('--split', default='val')
    parser.add_argument('--reference', help='68-point 3D reference (.npy); default: the '
                        "scan's own scan_ref68.npy in DATA_DIR")
    parser.add_argument('--reference5', help='5-point 3D reference (.npy) for 5-point faces; '
                        "default: the scan's own, or none when --reference is given")
    args = parser.parse_args(argv)
    errors = label_errors(args.data_dir, args.split, args.reference, args.reference5)
    print(f'{args.data_dir} {args.split}, reference: {args.reference or "scan_ref68.npy"}')
    for points in (68, 5):
        mask = errors['points'] == points
        if mask.any():
            print(f'{points}-point faces: {mask.sum()}')
            print('\n'.join(summary(errors, mask)))


if __name__ == '__main__':
    main()
