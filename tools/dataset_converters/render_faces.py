"""Render the bundled synthetic face dataset (img2pose JSON format, exact render poses).

    python tools/dataset_converters/render_faces.py --out data/rendered --train 300 --val 60 \
        --size 640 --workers 2 --seed 0

Writes ``<out>/<split>/images``, ``<out>/annotations/<split>/*.json``,
``<out>/annotations/<split>_annotations.txt`` and ``<split>_render_poses.json`` (see
:func:`mmpose6d.datasets.rendering.generate_dataset`). A split already complete with the same
arguments is skipped.
"""
import argparse
import time

from mmpose6d.datasets.rendering import generate_dataset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/rendered')
    parser.add_argument('--train', type=int, default=300, help='number of train images')
    parser.add_argument('--val', type=int, default=60, help='number of val images')
    parser.add_argument('--size', type=int, default=640, help='long image side in pixels')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', default='data/cache', help='where the scan is fetched')
    args = parser.parse_args(argv)
    for split, count in (('train', args.train), ('val', args.val)):
        start = time.perf_counter()
        stats = generate_dataset(args.out, split, count, image_size=args.size, seed=args.seed,
                                 workers=args.workers, cache_dir=args.cache_dir)
        seconds = time.perf_counter() - start
        if stats['skipped']:
            print(f'{split}: {count} images, {stats["faces"]} faces already in {args.out}')
            continue
        print(f'{split}: {count} images, {stats["faces"]} faces in {seconds:.1f} s '
              f'({count / seconds:.1f} images/s, {args.workers} workers)')


if __name__ == '__main__':
    main()
