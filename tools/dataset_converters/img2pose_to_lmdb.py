"""Convert img2pose JSON annotations and their images to an LMDB (resumable).

    python tools/dataset_converters/img2pose_to_lmdb.py ANN_LIST IMG_ROOT OUT.lmdb [--train]

Entries are validated as they are written (annotation parsing, image decoding); skipped ones
are summarised by reason at the end, and so are faces written with a box or landmarks outside
their image. A re-run after an interruption resumes from the last
committed batch. With ``--train`` the local pose statistics of the labelled faces are saved as
``pose_mean.npy`` / ``pose_stddev.npy`` beside the LMDB (or into ``--stats-dir``).
"""
import argparse
from pathlib import Path

from mmpose6d.datasets.lmdb_store import convert_to_lmdb, iter_lmdb_records
from mmpose6d.datasets.pose_stats import local_poses, pose_statistics, save_pose_statistics
from mmpose6d.datasets.skip_counter import format_counts
from mmpose6d.utils.array_io import DEFAULT_REFERENCE5, DEFAULT_REFERENCE68, load_reference


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_list', help='list file of annotation JSON paths')
    parser.add_argument('img_root', help='folder the JSONs\' image_path are relative to')
    parser.add_argument('out', help='output LMDB folder')
    parser.add_argument('--train', action='store_true',
                        help='also compute pose_mean.npy / pose_stddev.npy')
    parser.add_argument('--reference68', default=DEFAULT_REFERENCE68)
    parser.add_argument('--reference5', default=DEFAULT_REFERENCE5)
    parser.add_argument('--stats-dir', help='where to save the statistics (default: the '
                        'folder containing the LMDB)')
    parser.add_argument('--limit', type=int, help='convert at most this many list entries in '
                        'this run (a later run resumes)')
    parser.add_argument('--commit-every', type=int, default=256)
    parser.add_argument('--map-size', type=int, default=1 << 30,
                        help='initial LMDB map size in bytes (it grows as needed)')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.train:  # fail on a bad reference before the long conversion
        refs = load_reference(args.reference68, 68), load_reference(args.reference5, 5)
    meta = convert_to_lmdb(args.ann_list, args.img_root, args.out, limit=args.limit,
                           commit_every=args.commit_every, map_size=args.map_size,
                           progress=not args.no_progress)
    print(f'{args.out}: {meta["num_entries"]} images written from {meta["next"]} of '
          f'{meta["num_inputs"]} list entries; skipped: {format_counts(meta["skipped"])}; '
          'faces outside their image, written as annotated (training clips, drops or masks '
          f'them): {format_counts(meta["outside"])}')
    if not meta['complete']:
        print('conversion unfinished (--limit): run again to resume')
        return meta
    if args.train:
        poses = local_poses([rec for _, _, rec in iter_lmdb_records(args.out)], *refs)
        mean, std = pose_statistics(poses)
        paths = save_pose_statistics(args.stats_dir or Path(args.out).resolve().parent, mean,
                                     std)
        print(f'pose statistics of {len(poses)} labelled faces -> {paths[0]}, {paths[1]}\n'
              f'  mean {mean.round(4).tolist()}\n  std  {std.round(4).tolist()}')
    return meta


if __name__ == '__main__':
    main()
