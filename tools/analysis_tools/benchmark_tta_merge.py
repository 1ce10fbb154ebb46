"""Time of the ``--tta`` merge (Img2PoseTTAModel.merge_preds: truncation, flip-back, box
voting, pose merging) of one image's pooled detections, with the voting's grouping on
``mmpose6d._ext`` against the same grouping in numpy, one group per step.

The detections are ``--boxes`` jittered copies of ``--boxes / 8`` faces split over 14 passes
(7 scales, unflipped and flipped), what the multi-scale + flip test pools per image (4,000-
10,000 boxes on WIDER images). Both runs check that their merged faces are the same.

    python tools/analysis_tools/benchmark_tta_merge.py --boxes 10000
"""
import argparse
from unittest import mock

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmpose6d.geometry import FaceModel, voting
from mmpose6d.models import Img2PoseTTAModel
from mmpose6d.utils.benchmark import median_seconds


class _Detector(torch.nn.Module):
    """What the TTA model needs of a detector to merge: ``test_step`` and its face model."""

    def __init__(self):
        super().__init__()
        self.face_model = FaceModel()

    def test_step(self, data):
        return data


def pooled_passes(num_boxes, width=1024, height=768, passes=14, seed=0):
    """One image's detections as ``passes`` data samples (the second half flipped)."""
    rng = np.random.default_rng(seed)
    faces = max(num_boxes // 8, 1)
    centres = rng.uniform(0, 1, (faces, 2)) * [width, height]
    sizes = rng.uniform(10, 200, (faces, 1))
    base = np.c_[centres - sizes / 2, centres + sizes / 2]
    boxes = np.repeat(base, 8, 0)[:num_boxes] + rng.normal(0, 4, (num_boxes, 4))
    poses = np.c_[rng.normal(0, 0.3, (num_boxes, 3)), rng.normal(0, 1, (num_boxes, 2)),
                  rng.uniform(5, 20, num_boxes)]
    scores = rng.uniform(0.05, 1, num_boxes)
    samples = []
    for i, part in enumerate(np.array_split(rng.permutation(num_boxes), passes)):
        sample = DetDataSample(metainfo=dict(ori_shape=(height, width),
                                             flip=i >= passes // 2))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes[part], dtype=torch.float32),
            scores=torch.tensor(scores[part], dtype=torch.float32),
            labels=torch.zeros(len(part), dtype=torch.long),
            poses=torch.tensor(poses[part], dtype=torch.float32))
        samples.append(sample)
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--boxes', type=int, default=10000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tta = Img2PoseTTAModel(module=_Detector())
    samples = pooled_passes(args.boxes)
    results, seconds = {}, {}
    for name, ext in (('compiled grouping', voting._ext), ('numpy grouping', None)):
        with mock.patch.object(voting, '_ext', ext):
            results[name] = tta.merge_preds([samples])[0].pred_instances
            seconds[name] = median_seconds(lambda: tta.merge_preds([samples]), args.repeat)
    a, b = results.values()
    same = (len(a) == len(b) and torch.allclose(a.bboxes, b.bboxes, atol=1e-4)
            and torch.allclose(a.poses, b.poses, atol=1e-5))
    print(f'{args.boxes} boxes in 14 passes -> {len(a)} merged faces, {args.threads} threads, '
          f'median of {args.repeat}; the same faces both ways: {same}')
    for name, value in seconds.items():
        print(f'{name:18s} {value * 1000:9.1f} ms')
    ratio = seconds['compiled grouping'] / seconds['numpy grouping']
    print(f'compiled / numpy time: {ratio:.3f}x')
    if not same:
        raise SystemExit('the two groupings merged different faces')


if __name__ == '__main__':
    main()
