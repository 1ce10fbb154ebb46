"""Synthetic img2pose data: noise images with faces drawn as projected reference points.

The 3D references are random but exactly mirror-symmetric under the 5/68 flip permutations,
so the pose flip relation holds exactly; landmarks are the references projected with known
global poses, ``project_points(ref, pose, image_intrinsics(w, h))``.
"""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmpose6d.datasets import SKIPS
from mmpose6d.datasets.img2pose_format import parse_record, record_instances
from mmpose6d.datasets.lmdb_store import OUTSIDE
from mmpose6d.datasets.transforms import LoadPoseAnnotations
from mmpose6d.geometry import FLIP_PERM_68, image_intrinsics, project_points

#: Image size and the known global poses of the default scene's faces.
WIDTH, HEIGHT = 480, 360
POSE68 = np.array([0.10, -0.20, 0.05, -1.6, -0.3, 9.0])
POSE5 = np.array([-0.10, 0.30, -0.10, 1.5, 0.4, 10.0])
UNLABELLED_BOX = [200.0, 250.0, 260.0, 330.0]


def symmetric_points(perm, rng):
    """Random points (P,3) with ``points[perm] * [-1, 1, 1] == points`` (a mirror-symmetric
    face: x to the side, y down, z away from the camera)."""
    index = np.arange(len(perm))
    points = np.column_stack([rng.uniform(0.1, 0.7, len(perm)), rng.uniform(-0.6, 0.7, len(perm)),
                              rng.uniform(-0.5, 0.5, len(perm))])
    points[perm == index, 0] = 0
    first = index < perm
    points[perm[first]] = points[first] * [-1, 1, 1]
    return points


class Synth:
    """Writes synthetic images and img2pose annotations into a folder."""

    def __init__(self, root, ref68, ref5, path68, path5):
        self.root = Path(root)
        self.ref68, self.ref5 = ref68, ref5
        self.path68, self.path5 = str(path68), str(path5)
        #: the face model of the labelling steps (FaceModel's arguments)
        self.face_model = dict(reference68=self.path68, reference5=self.path5)
        self.pose68, self.pose5 = POSE68, POSE5

    def landmarks(self, pose, points=68, width=WIDTH, height=HEIGHT):
        ref = self.ref68 if points == 68 else self.ref5
        return project_points(ref, np.asarray(pose)[None], image_intrinsics(width, height))[0]

    @staticmethod
    def box(landmarks, pad=0.1):
        lo, hi = landmarks.min(0), landmarks.max(0)
        return np.concatenate([lo - pad * (hi - lo), hi + pad * (hi - lo)]).round().tolist()

    def scene(self, seed=0, width=WIDTH, height=HEIGHT):
        """(BGR image, annotation JSON dict) with a 68-point face, a 5-point face and a face
        without landmarks."""
        lm68 = self.landmarks(POSE68, 68, width, height)
        lm5 = self.landmarks(POSE5, 5, width, height)
        img = np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)
        for u, v in np.concatenate([lm68, lm5]):
            cv2.circle(img, (int(u), int(v)), 2, (255, 255, 255), -1)
        ann = dict(bboxes=[self.box(lm68), self.box(lm5) + [1], UNLABELLED_BOX],
                   landmarks=[lm68.tolist(), lm5.tolist(), -1])
        return img, ann

    def results(self, seed=0, width=WIDTH, height=HEIGHT):
        """Pipeline results of the scene after loading its annotations."""
        img, ann = self.scene(seed, width, height)
        record = parse_record(dict(ann, image_path='scene.jpg'), 'scene.json')
        results = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                       img_path='scene.jpg', instances=record_instances(record))
        return LoadPoseAnnotations()(results)

    def write(self, entries, name='list'):
        """Write entries (dicts with ``name``, ``image`` (array or raw bytes, optional) and
        ``ann`` (dict, written as JSON, or str, written as is)) under ``root``; the list
        file path. Images go to ``root/images``, JSONs to ``root/annotations``."""
        (self.root / 'images').mkdir(parents=True, exist_ok=True)
        (self.root / 'annotations').mkdir(parents=True, exist_ok=True)
        lines = []
        for entry in entries:
            image = entry.get('image')
            image_name = entry.get('image_name', f'{entry["name"]}.jpg')
            if isinstance(image, np.ndarray):
                cv2.imwrite(str(self.root / 'images' / image_name), image)
            elif image is not None:
                (self.root / 'images' / image_name).write_bytes(image)
            ann = entry['ann']
            if isinstance(ann, dict):
                ann = json.dumps(dict({'image_path': image_name}, **ann))
            if ann is not None:
                (self.root / 'annotations' / f'{entry["name"]}.json').write_text(ann)
            lines.append(f'{entry["name"]}.json')
        list_file = self.root / 'annotations' / f'{name}.txt'
        list_file.write_text('\n'.join(lines) + '\n')
        return list_file

    def dataset_cfg(self, list_file, **kwargs):
        return dict(type='Img2PoseDataset', ann_file=str(list_file),
                    data_prefix=dict(img=str(self.root / 'images')), **kwargs)


@pytest.fixture(scope='session')
def references(tmp_path_factory):
    """(ref68, ref5, path68, path5): symmetric random references saved as ``.npy``."""
    rng = np.random.default_rng(7)
    ref68 = symmetric_points(FLIP_PERM_68, rng)
    # eye centres, nose tip, mouth corners: mirror-symmetric like the 68 (FLIP_PERM_5)
    ref5 = np.stack([ref68[36:42].mean(0), ref68[42:48].mean(0), ref68[30], ref68[48],
                     ref68[54]])
    folder = tmp_path_factory.mktemp('refs')
    np.save(folder / 'ref68.npy', ref68)
    np.save(folder / 'ref5.npy', ref5)
    return ref68, ref5, folder / 'ref68.npy', folder / 'ref5.npy'


@pytest.fixture
def synth(tmp_path, references):
    return Synth(tmp_path, *references)


@pytest.fixture(autouse=True)
def fresh_skips():
    """Each test counts (and logs) its own skips and faces outside their images, with
    mmpose6d as the registry scope."""
    init_default_scope('mmpose6d')
    SKIPS.reset()
    OUTSIDE.reset()
    yield SKIPS
