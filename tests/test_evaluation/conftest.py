"""The official WIDER FACE val ground truth (``shared/data/wider_face_val_gt``)."""
import numpy as np
import pytest

from mmpose6d.evaluation.functional import load_wider_gt


@pytest.fixture(scope='session')
def wider_gt_dir(shared_file):
    return shared_file('data', 'wider_face_val_gt', 'wider_face_val.mat').parent


@pytest.fixture(scope='session')
def wider_gt(wider_gt_dir):
    return load_wider_gt(wider_gt_dir)


def noisy_predictions(images, seed):
    """``{event: {image: (N, 5)}}``: jittered gt boxes (some duplicated) and random false
    positives, scores on a 0.01 grid (ties), descending; about 1 image in 10 gets none."""
    rng = np.random.default_rng(seed)
    preds = {}
    for image in images:
        dets = np.zeros((0, 5))
        if rng.random() > 0.1:
            hits = image.boxes[rng.random(len(image.boxes)) < 0.8]
            hits = np.concatenate([hits, hits[rng.random(len(hits)) < 0.1]])  # duplicates
            size = np.maximum(hits[:, 2:], 1)
            hits = hits + rng.normal(0, 0.05, hits.shape) * np.concatenate([size, size], 1)
            n_fp = rng.integers(0, 15)
            fps = np.concatenate([rng.uniform(0, 1000, (n_fp, 2)),
                                  rng.uniform(4, 150, (n_fp, 2))], 1)
            boxes = np.concatenate([hits, fps])
            scores = np.concatenate([rng.integers(30, 101, len(hits)),
                                     rng.integers(0, 60, n_fp)]) / 100
            dets = np.concatenate([boxes, scores[:, None]], 1)
            dets = dets[np.argsort(-dets[:, 4], kind='stable')]
        preds.setdefault(image.event, {})[image.name] = dets
    return preds


@pytest.fixture(scope='session')
def make_noisy_predictions():
    return noisy_predictions
