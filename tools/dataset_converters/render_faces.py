"""Render the bundled synthetic face dataset (img2pose JSON format, exact render poses).

    python tools/dataset_converters/render_faces.py --out data/rendered --train 300 --val 60 \
        [--other 60] [--shifted 60] [--camera-split 30 --camera W H FX FY CX CY] [--size 640] \
        [--faces 1 6] [--face-size 30 250] [--angles 35 80 30] [--workers 2] [--seed 0]

Every face is seen by its image's camera, on scikit-image's photographs or procedural
backgrounds. Splits: ``train`` and ``val`` (the same distribution), and ``other``, a held-out
split drawn differently (photographs the others never use, 1-3 faces of 60-240 px, yaw up
to 60 degrees) to check that a model did not learn one distribution, and ``shifted``, a
second held-out split drawn further away (:data:`SHIFTED`: its own image size and aspect
ratios, larger faces, stronger pitch and yaw than training's, colour-wheel and `other`
photograph backgrounds, dark coloured lighting). ``camera``, with ``--camera-split N``:
the `other` split's distribution seen by the camera ``--camera`` (every image W x H, focal
lengths FX, FY and principal point CX, CY in pixels) instead of each image's f = w + h
camera, its camera written next to its poses (``annotations/camera_camera.json``), to test
poses in a user's camera (``tools/test.py --camera-file``). ``--faces``, ``--face-size``
and ``--angles`` set the train and val splits' faces per image, head heights in pixels and
pitch / yaw / roll ranges in degrees. Writes
``<out>/<split>/images``, ``<out>/annotations/<split>/*.json``,
``<out>/annotations/<split>_annotations.txt`` and ``<split>_render_poses.json`` (see
:func:`mmpose6d.synthesis.generate_dataset`). A split already complete with the same
arguments is skipped.
"""
import argparse
import time

from mmpose6d.synthesis import FaceScan, RenderPool, generate_dataset

#: the held-out split's own distribution
OTHER = dict(photo_family='other', photo_fraction=1.0, faces=(1, 3), face_size=(60, 240),
             yaw=60, pitch=25, roll=20, unlabelled_fraction=0.0)

#: the shifted held-out split: drawn away from the train split (RenderOptions' defaults) in
#: every respect a renderer of another hand would differ in, to measure whether a model
#: holds on such renders (never trained or validated on). What it changes and why:
#: - image size and shape: 544-pixel long side at aspect ratios 0.5-0.8 (train: 512 px,
#:   0.6-1.0), so the test resize scales the faces differently;
#: - faces: 2-5 per image of 70-220 px (the quick-start's train: 6-14 of 40-220 px): few
#:   faces, larger on average;
#: - pose: pitch +-55, yaw +-88, roll +-35 degrees (the quick-start's train: 45 / 80 / 30,
#:   RenderOptions' default 35 / 80 / 30), beyond the training range at the ends;
#: - backgrounds: hue wheels (a procedural kind training never draws) and scikit-image's
#:   `other` photographs, half each;
#: - lighting: darker ambient (0.05-0.35, train 0.25-0.7), stronger light (gain 0.8-1.7,
#:   train 0.55-1.25) of a strong colour (each channel +-40 %, train +-10 %), from grazing
#:   directions and from below.
SHIFTED = dict(image_size=544, aspect=(0.5, 0.8), faces=(2, 5), face_size=(70, 220),
               pitch=55, yaw=88, roll=35, photo_family='other', photo_fraction=0.5,
               procedural_kinds=('colour_wheel', ), light_box=((-1.5, -1.2, -1.2),
                                                               (1.5, 1.2, -0.15)),
               ambient=(0.05, 0.35), light_gain=(0.8, 1.7), light_colour=0.4,
               max_overlap=0.2, unlabelled_fraction=0.0)


def _camera(values):
    """``RenderOptions.camera`` of ``--camera``: integral image size, float intrinsics."""
    width, height, *intrinsics = values
    if width != int(width) or height != int(height) or width <= 0 or height <= 0:
        raise SystemExit(f'--camera: the image size must be positive integers, got {width} x '
                         f'{height}')
    return (int(width), int(height), *intrinsics)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/rendered')
    parser.add_argument('--train', type=int, default=300, help='number of train images')
    parser.add_argument('--val', type=int, default=60, help='number of val images')
    parser.add_argument('--other', type=int, default=0,
                        help='number of images of the differently drawn held-out split')
    parser.add_argument('--shifted', type=int, default=0,
                        help='number of images of the shifted held-out split (SHIFTED: its '
                        'own image size, faces, poses, backgrounds and lighting)')
    parser.add_argument('--camera-split', type=int, default=0,
                        help='number of images of the `camera` split: the other split seen by '
                        'the camera --camera')
    parser.add_argument('--camera', type=float, nargs=6, default=(640, 480, 672, 672, 352, 216),
                        metavar=('W', 'H', 'FX', 'FY', 'CX', 'CY'),
                        help='the camera of the `camera` split (default: 640 x 480, a wide '
                        'angle: f = 0.6 (w + h), principal point off centre)')
    parser.add_argument('--size', type=int, default=640, help='long image side in pixels')
    parser.add_argument('--faces', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help='faces per train / val image (default: RenderOptions.faces)')
    parser.add_argument('--face-size', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help='train / val head heights in pixels (default: '
                        'RenderOptions.face_size)')
    parser.add_argument('--angles', type=float, nargs=3, metavar=('PITCH', 'YAW', 'ROLL'),
                        help='train / val angle ranges: each angle uniform in +-its value, '
                        'in degrees (default: RenderOptions\' 35 80 30)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', default='data/cache', help='where the scan is fetched')
    args = parser.parse_args(argv)
    own = {key: tuple(value) for key, value in (('faces', args.faces),
                                                ('face_size', args.face_size)) if value}
    if args.angles:
        own.update(zip(('pitch', 'yaw', 'roll'), args.angles))
    scan = FaceScan.fetch(args.cache_dir)
    # one pool of workers for all splits, started only if a split is rendered
    with RenderPool(args.workers, scan) as pool:
        for split, count, options in (('train', args.train, own), ('val', args.val, own),
                                      ('other', args.other, OTHER),
                                      ('shifted', args.shifted, SHIFTED),
                                      ('camera', args.camera_split,
                                       dict(OTHER, camera=_camera(args.camera)))):
            if count == 0:
                continue
            start = time.perf_counter()
            options = dict(dict(image_size=args.size), **options)
            stats = generate_dataset(args.out, split, count, seed=args.seed, scan=scan,
                                     pool=pool if args.workers > 1 else None, **options)
            seconds = time.perf_counter() - start
            if stats['skipped']:
                print(f'{split}: {count} images, {stats["faces"]} faces already in {args.out}')
                continue
            print(f'{split}: {count} images, {stats["faces"]} faces in {seconds:.1f} s '
                  f'({count / seconds:.1f} images/s, {args.workers} workers)')


if __name__ == '__main__':
    main()
