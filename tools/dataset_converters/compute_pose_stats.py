"""pose_mean.npy / pose_stddev.npy of the labelled faces of an img2pose JSON list.

    python tools/dataset_converters/compute_pose_stats.py ANN_LIST --out-dir DIR \
        [--roi-targets --image-root IMG_DIR [--solve-in image]]

By default, as the original: the local EPnP pose of each labelled face in its annotated box
(68-point faces with the 68 reference, 5-point faces with the 5 reference; failed solves
excluded); the same statistics ``img2pose_to_lmdb.py --train`` computes from its LMDB.
With ``--roi-targets``, the statistics of what the RoI head actually regresses: the labels
moved into their projected target boxes and into jittered positive RoIs around them (see
:func:`mmpose6d.datasets.pose_stats.roi_target_poses`); the CPU config uses these, since
its annotated (silhouette) boxes are much tighter than the projected ones; ``--solve-in
image`` labels them in the image camera, as that config's training pipeline does.
"""
import argparse
from pathlib import Path

from PIL import Image

from mmpose6d.datasets.img2pose_format import iter_json_records
from mmpose6d.datasets.pose_stats import (local_poses, pose_statistics, roi_target_poses,
                                          save_pose_statistics)
from mmpose6d.datasets.skip_counter import SKIPS, format_counts
from mmpose6d.geometry import SOLVE_IN
from mmpose6d.utils.array_io import DEFAULT_REFERENCE5, DEFAULT_REFERENCE68, load_reference


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_list', help='list file of annotation JSON paths')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--reference68', default=DEFAULT_REFERENCE68)
    parser.add_argument('--reference5', default=DEFAULT_REFERENCE5)
    parser.add_argument('--roi-targets', action='store_true',
                        help="statistics of the RoI head's targets (needs --image-root)")
    parser.add_argument('--image-root', help="the folder the JSONs' image_path are relative to")
    parser.add_argument('--solve-in', choices=SOLVE_IN, default='box',
                        help='with --roi-targets: the camera the labels are solved in, as the '
                        "training pipeline's PoseLabelsFromLandmarks(solve_in=...)")
    args = parser.parse_args(argv)
    if args.roi_targets and not args.image_root:
        parser.error('--roi-targets needs --image-root (the images give the camera)')
    return args


def main(argv=None):
    args = parse_args(argv)
    refs = load_reference(args.reference68, 68), load_reference(args.reference5, 5)
    snapshot = SKIPS.snapshot()
    records = [record for _, _, record in iter_json_records(args.ann_list)]
    if args.roi_targets:
        sizes = []
        for record in records:
            with Image.open(Path(args.image_root) / record['image_path']) as image:
                sizes.append(image.size)
        poses = roi_target_poses(records, sizes, *refs, solve_in=args.solve_in)
    else:
        poses = local_poses(records, *refs)
    mean, std = pose_statistics(poses)
    paths = save_pose_statistics(args.out_dir, mean, std)
    what = 'RoI targets' if args.roi_targets else 'labelled faces'
    print(f'pose statistics of {len(poses)} {what} -> {paths[0]}, {paths[1]}; '
          f'skipped: {format_counts(SKIPS.since(snapshot))}\n'
          f'  mean {mean.round(4).tolist()}\n  std  {std.round(4).tolist()}')
    return mean, std


if __name__ == '__main__':
    main()
