"""pose_mean.npy / pose_stddev.npy of the labelled faces of an img2pose JSON list.

    python tools/dataset_converters/compute_pose_stats.py ANN_LIST --out-dir DIR

The local EPnP pose of each labelled face in its annotated box (68-point faces with the 68
reference, 5-point faces with the 5 reference; failed solves excluded); the same statistics
``img2pose_to_lmdb.py --train`` computes from its LMDB.
"""
import argparse

from mmpose6d.datasets.img2pose_format import iter_json_records
from mmpose6d.datasets.pose_stats import local_poses, pose_statistics, save_pose_statistics
from mmpose6d.datasets.skip_counter import SKIPS, format_counts
from mmpose6d.datasets.transforms.references import (DEFAULT_REFERENCE5, DEFAULT_REFERENCE68,
                                                     load_reference)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_list', help='list file of annotation JSON paths')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--reference68', default=DEFAULT_REFERENCE68)
    parser.add_argument('--reference5', default=DEFAULT_REFERENCE5)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    refs = load_reference(args.reference68, 68), load_reference(args.reference5, 5)
    snapshot = SKIPS.snapshot()
    records = [record for _, _, record in iter_json_records(args.ann_list)]
    poses = local_poses(records, *refs)
    mean, std = pose_statistics(poses)
    paths = save_pose_statistics(args.out_dir, mean, std)
    print(f'pose statistics of {len(poses)} labelled faces -> {paths[0]}, {paths[1]}; '
          f'skipped: {format_counts(SKIPS.since(snapshot))}\n'
          f'  mean {mean.round(4).tolist()}\n  std  {std.round(4).tolist()}')
    return mean, std


if __name__ == '__main__':
    main()
