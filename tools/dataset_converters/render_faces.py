"""Render the bundled synthetic face dataset (img2pose JSON format, exact render poses).

    python tools/dataset_converters/render_faces.py --out data/rendered --train 300 --val 60 \
        [--other 60] [--size 640] [--faces 1 6] [--face-size 30 250] [--workers 2] [--seed 0]

Every face is seen by its image's camera, on scikit-image's photographs or procedural
backgrounds. Splits: ``train`` and ``val`` (the same distribution), and ``other``, a held-out
split drawn differently (photographs the others never use, 1-3 faces of 60-240 px, yaw up
to 60 degrees) to check that a model did not learn one distribution. ``--faces`` and
``--face-size`` set the train and val splits' faces per image and head heights in pixels. Writes
``<out>/<split>/images``, ``<out>/annotations/<split>/*.json``,
``<out>/annotations/<split>_annotations.txt`` and ``<split>_render_poses.json`` (see
:func:`mmpose6d.synthesis.generate_dataset`). A split already complete with the same
arguments is skipped.
"""
import argparse
import time

from mmpose6d.synthesis import generate_dataset

#: the held-out split's own distribution
OTHER = dict(photo_family='other', photo_fraction=1.0, faces=(1, 3), face_size=(60, 240),
             yaw=60, pitch=25, roll=20, unlabelled_fraction=0.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/rendered')
    parser.add_argument('--train', type=int, default=300, help='number of train images')
    parser.add_argument('--val', type=int, default=60, help='number of val images')
    parser.add_argument('--other', type=int, default=0,
                        help='number of images of the differently drawn held-out split')
    parser.add_argument('--size', type=int, default=640, help='long image side in pixels')
    parser.add_argument('--faces', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help='faces per train / val image (default: RenderOptions.faces)')
    parser.add_argument('--face-size', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help='train / val head heights in pixels (default: '
                        'RenderOptions.face_size)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', default='data/cache', help='where the scan is fetched')
    args = parser.parse_args(argv)
    own = {key: tuple(value) for key, value in (('faces', args.faces),
                                                ('face_size', args.face_size)) if value}
    for split, count, options in (('train', args.train, own), ('val', args.val, own),
                                  ('other', args.other, OTHER)):
        if count == 0:
            continue
        start = time.perf_counter()
        stats = generate_dataset(args.out, split, count, image_size=args.size, seed=args.seed,
                                 workers=args.workers, cache_dir=args.cache_dir, **options)
        seconds = time.perf_counter() - start
        if stats['skipped']:
            print(f'{split}: {count} images, {stats["faces"]} faces already in {args.out}')
            continue
        print(f'{split}: {count} images, {stats["faces"]} faces in {seconds:.1f} s '
              f'({count / seconds:.1f} images/s, {args.workers} workers)')


if __name__ == '__main__':
    main()
