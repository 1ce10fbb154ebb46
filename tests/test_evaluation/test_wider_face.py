"""The WIDER FACE evaluation core against hand-computed cases and the reference port.

``port_*`` below is a line-by-line transcription of the Python port of the official tool
(``widerface_evaluate/evaluation.py`` and its Cython ``bbox_overlaps``), loops and all; the
library must give the same numbers.
"""
import copy
import os
import warnings

import numpy as np
import pytest
from scipy.io import loadmat

from mmpose6d.evaluation.functional import (WiderImage, check_predictions, evaluate_wider,
                                            read_pred_dir, read_pred_file, voc_ap, write_pred_dir)
from mmpose6d.geometry import box_iou

# ---------------------------------------------------------------- the reference transcription
# yapf: disable


def port_bbox_overlaps(boxes, query_boxes):
    n, k_num = boxes.shape[0], query_boxes.shape[0]
    overlaps = np.zeros((n, k_num), dtype=np.float64)
    for k in range(k_num):
        box_area = ((query_boxes[k, 2] - query_boxes[k, 0] + 1) *
                    (query_boxes[k, 3] - query_boxes[k, 1] + 1))
        for i in range(n):
            iw = (min(boxes[i, 2], query_boxes[k, 2]) - max(boxes[i, 0], query_boxes[k, 0]) + 1)
            if iw > 0:
                ih = (min(boxes[i, 3], query_boxes[k, 3]) -
                      max(boxes[i, 1], query_boxes[k, 1]) + 1)
                if ih > 0:
                    ua = float((boxes[i, 2] - boxes[i, 0] + 1) * (boxes[i, 3] - boxes[i, 1] + 1) +
                               box_area - iw * ih)
                    overlaps[i, k] = iw * ih / ua
    return overlaps


def port_get_gt_boxes(gt_dir):
    gt_mat = loadmat(os.path.join(gt_dir, 'wider_face_val.mat'))
    hard_mat = loadmat(os.path.join(gt_dir, 'wider_hard_val.mat'))
    medium_mat = loadmat(os.path.join(gt_dir, 'wider_medium_val.mat'))
    easy_mat = loadmat(os.path.join(gt_dir, 'wider_easy_val.mat'))
    return (gt_mat['face_bbx_list'], gt_mat['event_list'], gt_mat['file_list'],
            hard_mat['gt_list'], medium_mat['gt_list'], easy_mat['gt_list'])


def port_norm_score(pred):
    max_score = 0
    min_score = 1
    for _, k in pred.items():
        for _, v in k.items():
            if len(v) == 0:
                continue
            _min = np.min(v[:, -1])
            _max = np.max(v[:, -1])
            max_score = max(_max, max_score)
            min_score = min(_min, min_score)
    diff = max_score - min_score
    for _, k in pred.items():
        for _, v in k.items():
            if len(v) == 0:
                continue
            v[:, -1] = (v[:, -1] - min_score) / diff


def port_image_eval(pred, gt, ignore, iou_thresh):
    _pred = pred.copy()
    _gt = gt.copy()
    pred_recall = np.zeros(_pred.shape[0])
    recall_list = np.zeros(_gt.shape[0])
    proposal_list = np.ones(_pred.shape[0])
    _pred[:, 2] = _pred[:, 2] + _pred[:, 0]
    _pred[:, 3] = _pred[:, 3] + _pred[:, 1]
    _gt[:, 2] = _gt[:, 2] + _gt[:, 0]
    _gt[:, 3] = _gt[:, 3] + _gt[:, 1]
    overlaps = port_bbox_overlaps(_pred[:, :4], _gt)
    for h in range(_pred.shape[0]):
        gt_overlap = overlaps[h]
        max_overlap, max_idx = gt_overlap.max(), gt_overlap.argmax()
        if max_overlap >= iou_thresh:
            if ignore[max_idx] == 0:
                recall_list[max_idx] = -1
                proposal_list[h] = -1
            elif recall_list[max_idx] == 0:
                recall_list[max_idx] = 1
        r_keep_index = np.where(recall_list == 1)[0]
        pred_recall[h] = len(r_keep_index)
    return pred_recall, proposal_list


def port_img_pr_info(thresh_num, pred_info, proposal_list, pred_recall):
    pr_info = np.zeros((thresh_num, 2)).astype('float')
    for t in range(thresh_num):
        thresh = 1 - (t + 1) / thresh_num
        r_index = np.where(pred_info[:, 4] >= thresh)[0]
        if len(r_index) == 0:
            pr_info[t, 0] = 0
            pr_info[t, 1] = 0
        else:
            r_index = r_index[-1]
            p_index = np.where(proposal_list[:r_index + 1] == 1)[0]
            pr_info[t, 0] = len(p_index)
            pr_info[t, 1] = pred_recall[r_index]
    return pr_info


def port_dataset_pr_info(thresh_num, pr_curve, count_face):
    _pr_curve = np.zeros((thresh_num, 2))
    for i in range(thresh_num):
        _pr_curve[i, 0] = pr_curve[i, 1] / pr_curve[i, 0]
        _pr_curve[i, 1] = pr_curve[i, 1] / count_face
    return _pr_curve


def port_voc_ap(rec, prec):
    mrec = np.concatenate(([0.], rec, [1.]))
    mpre = np.concatenate(([0.], prec, [0.]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    ap = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
    return ap


def port_evaluation(pred, gt_path, iou_thresh=0.5, images=None):
    # Deviations: ``pred`` is a dict (not a folder), an absent event / image has no
    # predictions (the port raises KeyError), ``images`` restricts the gt to a subset.
    port_norm_score(pred)
    facebox_list, event_list, file_list, hard_gt_list, medium_gt_list, easy_gt_list = \
        port_get_gt_boxes(gt_path)
    event_num = len(event_list)
    thresh_num = 1000
    setting_gts = [easy_gt_list, medium_gt_list, hard_gt_list]
    aps = []
    for setting_id in range(3):
        gt_list = setting_gts[setting_id]
        count_face = 0
        pr_curve = np.zeros((thresh_num, 2)).astype('float')
        for i in range(event_num):
            event_name = str(event_list[i][0][0])
            img_list = file_list[i][0]
            pred_list = pred.get(event_name, {})
            sub_gt_list = gt_list[i][0]
            gt_bbx_list = facebox_list[i][0]
            for j in range(len(img_list)):
                if images is not None and (event_name, str(img_list[j][0][0])) not in images:
                    continue
                pred_info = pred_list.get(str(img_list[j][0][0]), np.zeros((0, 5)))
                gt_boxes = gt_bbx_list[j][0].astype('float')
                keep_index = sub_gt_list[j][0]
                count_face += len(keep_index)
                if len(gt_boxes) == 0 or len(pred_info) == 0:
                    continue
                ignore = np.zeros(gt_boxes.shape[0])
                if len(keep_index) != 0:
                    ignore[keep_index - 1] = 1
                pred_recall, proposal_list = port_image_eval(pred_info, gt_boxes, ignore,
                                                             iou_thresh)
                _img_pr_info = port_img_pr_info(thresh_num, pred_info, proposal_list, pred_recall)
                pr_curve += _img_pr_info
        pr_curve = port_dataset_pr_info(thresh_num, pr_curve, count_face)
        propose = pr_curve[:, 0]
        recall = pr_curve[:, 1]
        ap = port_voc_ap(recall, propose)
        aps.append(ap)
    return dict(zip(('easy', 'medium', 'hard'), aps))


def port_read_pred_file(filepath):
    with open(filepath, 'r') as f:
        lines = f.readlines()
        img_file = lines[0].rstrip('\n\r')
        lines = lines[2:]
    boxes = []
    for line in lines:
        line = line.rstrip('\r\n').split(' ')
        if line[0] == '':
            continue
        boxes.append([float(line[0]), float(line[1]), float(line[2]), float(line[3]),
                      float(line[4])])
    boxes = np.array(boxes)
    return img_file.split('/')[-1], boxes


def port_get_preds(pred_dir):
    events = os.listdir(pred_dir)
    boxes = dict()
    for event in events:
        event_dir = os.path.join(pred_dir, event)
        event_images = os.listdir(event_dir)
        current_event = dict()
        for imgtxt in event_images:
            imgname, _boxes = port_read_pred_file(os.path.join(event_dir, imgtxt))
            current_event[imgname.rstrip('.jpg')] = _boxes
        boxes[event] = current_event
    return boxes


# yapf: enable


def run_port(preds, gt_dir, iou_thr=0.5, images=None):
    """The port on a deep copy (it normalises in place), its 0/0 warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return port_evaluation(copy.deepcopy(preds), str(gt_dir), iou_thr, images)


# ------------------------------------------------------------------------- hand-checked cases
A, B, C = [10, 10, 20, 20], [100, 100, 20, 20], [200, 10, 20, 20]  # x, y, w, h
FAR = [300, 300, 20, 20]


def one_image(boxes, easy, medium, hard):
    """A one-image ground truth with the given 0-based keep lists."""
    keep = dict(easy=easy, medium=medium, hard=hard)
    keep = {k: np.array(v, dtype=np.int64) for k, v in keep.items()}
    return [WiderImage('0--Parade', 'img', np.array(boxes, dtype=float), keep)]


def dets(*rows):
    return {'0--Parade': {'img': np.array(rows, dtype=float).reshape(-1, 5)}}


def test_ignored_face_and_low_false_positive():
    # Faces A (kept everywhere), B (medium, hard), C (hard only, never predicted).
    # Scores 0.9 (B), 0.8 (A), 0.1 (far FP) normalise with min 0.1, max 0.9 to 1, 0.875, 0:
    # B passes every threshold 1 - (k+1)/1000, A those <= 0.875, the FP only the last (0).
    # easy: B's box matches a face outside the keep list -> neither TP nor FP; proposals
    #   0 (precision 0/0) at recall 0, then 1/1 at recall 1, the FP adds 1/2 at recall 1:
    #   AP = 1 * 1 = 1. (Were B's box an FP, AP would be 0.5.)
    # medium: B then A are TPs (precision 1 at recall 1/2 and 1), the FP comes last: AP = 1.
    # hard: count_face 3; recall 1/3 and 2/3 at precision 1, the FP at recall 2/3:
    #   AP = 1/3 + 1/3 = 2/3.
    gt = one_image([A, B, C], easy=[0], medium=[0, 1], hard=[0, 1, 2])
    aps = evaluate_wider(dets(B + [0.9], A + [0.8], FAR + [0.1]), gt)
    assert aps['easy'] == pytest.approx(1.0, abs=1e-12)
    assert aps['medium'] == pytest.approx(1.0, abs=1e-12)
    assert aps['hard'] == pytest.approx(2 / 3, abs=1e-12)


def test_false_positive_above_true_positive():
    # Scores 0.9 (FP) and 0.5 (A) normalise to 1 and 0: up to the last threshold only the FP
    # passes (precision 0, recall 0); at the last one 1 TP of 2 proposals, recall 1:
    # AP = 1 * 1/2.
    gt = one_image([A], easy=[0], medium=[0], hard=[0])
    aps = evaluate_wider(dets(FAR + [0.9], A + [0.5]), gt)
    assert aps == pytest.approx(dict(easy=0.5, medium=0.5, hard=0.5), abs=1e-12)


def test_repeated_match_is_a_false_positive():
    # Two kept faces; A (0.9), A again (0.7), B (0.5) -> scores 1, 0.5, 0. The second box on
    # A is a proposal without a new TP: precision 1 at recall 1/2, then 1/2 at recall 1/2,
    # then 2/3 at recall 1: AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    gt = one_image([A, B], easy=[0, 1], medium=[0, 1], hard=[0, 1])
    aps = evaluate_wider(dets(A + [0.9], A + [0.7], B + [0.5]), gt)
    assert aps['easy'] == pytest.approx(5 / 6, abs=1e-12)


def test_unsorted_predictions_are_sorted():
    gt = one_image([A, B], easy=[0, 1], medium=[0, 1], hard=[0, 1])
    shuffled = evaluate_wider(dets(B + [0.5], A + [0.7], A + [0.9]), gt)
    assert shuffled == evaluate_wider(dets(A + [0.9], A + [0.7], B + [0.5]), gt)


def test_no_predictions():
    # No proposal at any threshold: precision 0/0, recall 0, AP 0 (as the port).
    gt = one_image([A, B], easy=[0], medium=[0, 1], hard=[0, 1])
    assert evaluate_wider({}, gt) == dict(easy=0.0, medium=0.0, hard=0.0)
    assert evaluate_wider({'0--Parade': {
        'img': np.zeros((0, 5))
    }}, gt) == dict(easy=0.0, medium=0.0, hard=0.0)


def test_single_distinct_score():
    # The port starts its range at min 1 / max 0. All scores 0.7: min = max = 0.7, (s - min)
    # / 0 is NaN, no box passes any threshold, AP 0 (a detector with constant scores needs
    # them spread, e.g. by ranking).
    gt = one_image([A, B], easy=[0, 1], medium=[0, 1], hard=[0, 1])
    assert evaluate_wider(dets(A + [0.7], B + [0.7]), gt) == dict(easy=0.0, medium=0.0, hard=0.0)
    # All scores 1.5: min 1, max 1.5 -> every score is 1, both faces found: AP 1.
    assert evaluate_wider(dets(A + [1.5], B + [1.5]), gt) == dict(easy=1.0, medium=1.0, hard=1.0)
    for scores in ([0.7, 0.7], [1.5, 1.5]):
        preds = dets(A + [scores[0]], B + [scores[1]])
        assert evaluate_wider(preds, gt) == pytest.approx(port_on_images(preds, gt))


def port_on_images(preds, images):
    """The port's per-image functions and AP on an in-memory ground truth."""
    preds = copy.deepcopy(preds)
    aps = {}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        port_norm_score(preds)
        for setting in ('easy', 'medium', 'hard'):
            pr_curve, count_face = np.zeros((1000, 2)), 0
            for image in images:
                pred_info = preds.get(image.event, {}).get(image.name, np.zeros((0, 5)))
                count_face += len(image.keep[setting])
                if len(image.boxes) == 0 or len(pred_info) == 0:
                    continue
                ignore = np.zeros(len(image.boxes))
                ignore[image.keep[setting]] = 1
                pred_recall, proposal_list = port_image_eval(pred_info, image.boxes, ignore, 0.5)
                pr_curve += port_img_pr_info(1000, pred_info, proposal_list, pred_recall)
            pr_curve = port_dataset_pr_info(1000, pr_curve, count_face)
            aps[setting] = port_voc_ap(pr_curve[:, 1], pr_curve[:, 0])
    return aps


def test_hand_cases_match_port():
    gt = one_image([A, B, C], easy=[0], medium=[0, 1], hard=[0, 1, 2])
    for preds in (dets(B + [0.9], A + [0.8],
                       FAR + [0.1]), dets(FAR + [0.9],
                                          A + [0.5]), dets(A + [0.9], A + [0.7], B + [0.5])):
        assert evaluate_wider(preds, gt) == port_on_images(preds, gt)


def test_check_predictions_counts_what_misleads_the_ap():
    two = one_image([A, B], easy=[0], medium=[0, 1], hard=[0, 1])
    two.append(two[0]._replace(event='1--Handshaking', name='other'))
    covered = {**dets(A + [0.9], B + [0.8]), '1--Handshaking': {'other': np.zeros((0, 5))}}
    assert check_predictions(covered, two) == (2, {})
    evaluated, problems = check_predictions(dets(A + [0.9], [1, 2, -3, 4, 0.5]), two)
    assert evaluated == 1 and set(problems) == {'missing', 'negative_size'}
    assert problems['missing'].startswith('the predictions lack 1 of the 2 ground-truth images, '
                                          'among them 1 of the 2 events entirely '
                                          '(1--Handshaking)')
    assert problems['negative_size'].startswith('1 box with a negative width or height in 1 '
                                                'image (0--Parade/img)')
    equal = {'0--Parade': {'img': np.array([A + [0.5], B + [0.5]]), 'ghost': np.zeros((0, 5))},
             '1--Handshaking': {'other': np.array([C + [0.5]])}}
    evaluated, problems = check_predictions(equal, two)
    assert evaluated == 2 and set(problems) == {'unknown', 'equal_scores'}
    assert problems['unknown'].startswith('1 of the 3 predicted images are not in the ground '
                                          'truth (first: 0--Parade/ghost')
    assert problems['equal_scores'].startswith('one score (0.5) for all of the 3 boxes')
    assert evaluate_wider(equal, two) == dict(easy=0, medium=0, hard=0)  # what it warns of
    # scores all above 1 are normalised against 1 (the port's running min): not degenerate
    assert 'equal_scores' not in check_predictions(dets(A + [2.0], B + [2.0]), two)[1]
    misshapen = {'0--Parade': {'img': np.zeros((2, 4))}}
    assert check_predictions(misshapen, two)[0] == 1  # evaluate_wider names the shape error
    with pytest.raises(ValueError, match=r'0--Parade/img: expected \(N, 5\)'):
        evaluate_wider(misshapen, two)


def test_bbox_overlaps_matches_kernel():
    rng = np.random.default_rng(3)
    boxes = rng.integers(0, 30, (40, 4)).astype(float)
    boxes[:, 2:] += boxes[:, :2] + rng.integers(-3, 12, (40, 2))  # some empty / inverted
    query = np.concatenate([boxes[:10], rng.uniform(0, 40, (15, 4))])
    np.testing.assert_array_equal(box_iou(boxes, query, plus_one=True),
                                  port_bbox_overlaps(boxes, query))


def test_voc_ap_matches_port():
    rng = np.random.default_rng(4)
    rec = np.sort(rng.uniform(0, 1, 50))
    prec = rng.uniform(0, 1, 50)
    rec[:5], prec[:5] = 0, np.nan  # no proposals at the highest thresholds
    assert voc_ap(rec, prec) == port_voc_ap(rec, prec)


# ------------------------------------------------------------------------------- txt files
def test_read_pred_file_formats(tmp_path):
    path = tmp_path / 'a.txt'
    path.write_text('0--Parade/0_Parade_x_1.jpg\n2\n1 2 3 4 0.5 \n\n5 6 7 8 0.25\n')
    name, boxes = read_pred_file(path)
    assert name == '0_Parade_x_1'
    np.testing.assert_array_equal(boxes, [[1, 2, 3, 4, 0.5], [5, 6, 7, 8, 0.25]])
    path.write_text('0_Parade_x_1\n0\n')
    assert read_pred_file(path)[1].shape == (0, 5)
    path.write_text('')
    assert read_pred_file(path)[0] == 'a'
    path.write_text('0_Parade_x_1\n1\n1 2 3 0.5\n')
    with pytest.raises(ValueError, match=r'a\.txt:3: expected "x y w h score"'):
        read_pred_file(path)
    path.write_text('0_Parade_x_1\n1\n1 2 3 4 high\n')
    with pytest.raises(ValueError, match=r'a\.txt:3'):
        read_pred_file(path)


def test_write_read_round_trip_matches_port_reader(tmp_path, wider_gt, make_noisy_predictions):
    preds = make_noisy_predictions(wider_gt[:60], seed=5)
    preds['0--Parade']['0_Parade_marchingband_1_465'] += 1 / 3  # long decimals
    write_pred_dir(preds, tmp_path)
    ours, port = read_pred_dir(tmp_path), port_get_preds(tmp_path)
    assert ours.keys() == preds.keys() == port.keys()
    for event, images in preds.items():
        assert ours[event].keys() == images.keys() == port[event].keys()
        for name, boxes in images.items():
            np.testing.assert_array_equal(ours[event][name], boxes)
            np.testing.assert_array_equal(port[event][name].reshape(-1, 5), boxes)


# ------------------------------------------------------------- the real val ground truth
def test_val_ground_truth(wider_gt):
    assert len(wider_gt) == 3226
    assert sum(len(image.boxes) for image in wider_gt) == 39708
    counts = {s: sum(len(image.keep[s]) for image in wider_gt) for s in ('easy', 'medium', 'hard')}
    assert counts == dict(easy=7211, medium=13319, hard=31958)


@pytest.mark.parametrize('seed,iou_thr,logits', [(0, 0.5, False), (1, 0.5, True), (2, 0.7, False)])
def test_port_parity_on_subset(wider_gt, wider_gt_dir, make_noisy_predictions, seed, iou_thr,
                               logits):
    """~100 random val images; ``logits`` spreads scores beyond [0, 1] (min/max quirk)."""
    rng = np.random.default_rng(seed)
    subset = [wider_gt[i] for i in rng.choice(len(wider_gt), 100, replace=False)]
    preds = make_noisy_predictions(subset, seed)
    if logits:
        for images in preds.values():
            for boxes in images.values():
                boxes[:, 4] = boxes[:, 4] * 8 - 3
    ours = evaluate_wider(preds, subset, iou_thr)
    port = run_port(preds, wider_gt_dir, iou_thr, {(i.event, i.name) for i in subset})
    assert ours == port  # bit-identical
    assert 0.2 < min(ours.values())


def test_port_parity_on_full_val(wider_gt, wider_gt_dir, make_noisy_predictions):
    preds = make_noisy_predictions(wider_gt, seed=7)
    assert evaluate_wider(preds, wider_gt) == run_port(preds, wider_gt_dir)  # bit-identical


def test_perfect_predictions_on_val(wider_gt):
    """Every gt box, scores random in (0.5, 1] (one shared score would give NaN, AP 0).

    Not exactly 1.0, because of the ground truth itself:
    * ``39--Ice_Skating/39_Ice_Skating_iceskiing_39_583`` face 7 has width -2: its IoU with
      itself is 0 (no overlap under the "+1" rule), so its box is an unmatched proposal -- an
      FP in every setting, and a missed face in hard, which keeps it;
    * ``21--Festival/21_Festival_Festival_21_604`` faces 64 and 103 are the same box, both
      kept in hard: both boxes match face 64 (first max), so face 103 is missed and its box is
      a repeated match, an FP.
    Ignored faces cost nothing (their boxes are neither TP nor FP); zero-size boxes (10 of
    them, none kept) still have IoU 1 with themselves under the "+1" areas. The FPs' random
    scores set how much precision drops, hence the seed-dependent figures.
    """
    rng = np.random.default_rng(0)
    preds = {}
    for image in wider_gt:
        scores = 1 - rng.uniform(0, 0.5, len(image.boxes))
        preds.setdefault(image.event,
                         {})[image.name] = np.concatenate([image.boxes, scores[:, None]], 1)
    aps = evaluate_wider(preds, wider_gt)
    assert aps == pytest.approx(dict(easy=0.999989, medium=0.999994, hard=0.999928), abs=1e-6)
    # Without the boxes of those two faces: no FP, all faces found in easy / medium, 2 of
    # 31958 missed in hard (AP = recall at precision 1).
    for event, name, face in (('39--Ice_Skating', '39_Ice_Skating_iceskiing_39_583', 7),
                              ('21--Festival', '21_Festival_Festival_21_604', 103)):
        preds[event][name] = np.delete(preds[event][name], face, 0)
    aps = evaluate_wider(preds, wider_gt)
    assert aps == pytest.approx(dict(easy=1, medium=1, hard=31956 / 31958), abs=1e-12)


def test_jittered_predictions_on_val(wider_gt, make_noisy_predictions):
    """Jittered gt boxes (80 % of faces in 90 % of images), some duplicated, random FPs.

    A middling detector: recall tops out near 0.7 and the FPs, scored independently of face
    size, cost the few-face easy setting most.
    """
    aps = evaluate_wider(make_noisy_predictions(wider_gt, seed=11), wider_gt)
    assert aps == pytest.approx(dict(easy=0.554602, medium=0.595024, hard=0.638197), abs=1e-6)
