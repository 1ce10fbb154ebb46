"""300W-LP in its own layout, labelled as img2pose labels it for its head-pose fine-tuning.

Layout under ``data_root`` (e.g. ``data/300W_LP/``): ``<subset>/<name>.jpg`` with
``<subset>/<name>.mat`` (``Pose_Para`` 1x7: pitch, yaw, roll in radians, then four other
numbers; ``pt2d`` 2x68) and ``landmarks/<subset>/<name>_pts.mat`` (``pts_2d`` 68x2). The
subsets are AFW, HELEN, IBUG, LFPW and their ``_Flip`` mirrors.

Each image has one annotated face, labelled once at load time by :func:`label_300wlp_faces`
as the original's 300W-LP loader (``utils/json_loader_300wlp.py``) does:

1. the global pose: the translation of EPnP on the 68 landmarks in the image camera
   ``K_img`` (:func:`~mmpose6d.geometry.image_pose_from_landmarks`), with the rotation
   replaced by the ``Pose_Para`` angles through the AFLW convention
   (:func:`~mmpose6d.geometry.euler_to_rotvec` of the angles in degrees: ``R = Rx(-pitch)
   Ry(yaw) Rz(roll)``);
2. the box: :func:`~mmpose6d.geometry.landmarks_to_bbox` of the landmarks, the forehead
   side chosen by that pose's ``rz``; integral and clipped to the image;
3. the local pose: the global pose in that box's frame
   (:func:`~mmpose6d.geometry.pose_full_image_to_bbox`).

As in the original's LMDB, the box and the local pose are what the sample keeps: in the
pipeline :class:`~mmpose6d.datasets.transforms.PoseLabelsFromLocalPoses` turns them back into
the global pose and :class:`~mmpose6d.datasets.transforms.BoxesFromPoses` boxes its projected
reference, the training target.

Bad samples are skipped with a counted reason (:mod:`~mmpose6d.datasets.skip_counter`),
logged once with the file and the problem: ``ann/missing_file``, ``ann/unreadable_mat``,
``ann/missing_key``, ``ann/bad_shape`` (``Pose_Para`` not 7 numbers, landmarks neither 68x2
nor 2x68), ``ann/malformed_pose`` (non-finite angles), ``image/missing``, ``image/corrupt``,
and the labelling's ``label/...`` reasons (the PnP's, and ``label/invalid_box`` for a box
left empty by the clipping).
"""
import os
import os.path as osp

import numpy as np

from mmpose6d.geometry import (FaceModel, euler_to_rotvec, image_pose_from_landmarks,
                               landmarks_to_bbox, pose_full_image_to_bbox)
from mmpose6d.registry import DATASETS

from .head_pose_datasets import FolderDataset, read_image_size, read_mat
from .skip_counter import SKIPS, AnnotationError

SUBSETS_300WLP = ('AFW', 'AFW_Flip', 'HELEN', 'HELEN_Flip', 'IBUG', 'IBUG_Flip', 'LFPW',
                  'LFPW_Flip')
#: where the 68 landmarks are read: ``pts_2d`` of ``landmarks/<subset>/<name>_pts.mat`` or
#: ``pt2d`` of the image's own ``.mat``
LANDMARK_KEYS = ('pts_2d', 'pt2d')


def as_landmarks(points, path, key):
    """The (68,2) landmarks of an array stored as 68x2 or 2x68; raises
    :class:`AnnotationError` (``ann/bad_shape``) for any other shape."""
    if points.shape == (68, 2):
        return points
    if points.shape == (2, 68):
        return points.T
    raise AnnotationError('ann/bad_shape', f'{path}: {key} has shape {points.shape}, expected '
                          '68x2 (or 2x68) landmark coordinates')


def label_300wlp_faces(landmarks, angles, image_wh, reference68, x_factor=1.1, y_factor=1.1,
                       forehead=0.3):
    """img2pose's 300W-LP labels of faces with 68 ``landmarks`` (N,68,2) and ``Pose_Para``
    ``angles`` (N,3) (pitch, yaw, roll, radians) in images of sizes ``image_wh`` (N,2).

    Returns global poses (N,6), boxes (N,4), local poses (N,6) and the reasons (N,) of
    faces left without a label (``''`` for the labelled; their rows are NaN): the global pose
    has the translation of EPnP in the image camera and the rotation of the angles, the box
    is the landmarks' img2pose box (forehead side from that rotation's ``rz``) and the local
    pose the global pose in it.
    """
    landmarks = np.asarray(landmarks, np.float64).reshape(-1, 68, 2)
    angles = np.asarray(angles, np.float64).reshape(-1, 3)
    image_wh = np.asarray(image_wh, np.float64).reshape(-1, 2)
    poses = np.full((len(landmarks), 6), np.nan)
    reasons = np.full(len(landmarks), '', dtype=object)
    for size in np.unique(image_wh, axis=0):  # one image camera per size
        rows = (image_wh == size).all(1)
        poses[rows], why = image_pose_from_landmarks(landmarks[rows], size, reference68,
                                                     return_reasons=True)
        reasons[rows] = why
    boxes = np.full((len(landmarks), 4), np.nan)
    local = np.full_like(poses, np.nan)
    solved = reasons == ''
    if solved.any():
        poses[solved, :3] = euler_to_rotvec(np.degrees(angles[solved]))
        boxes[solved] = landmarks_to_bbox(landmarks[solved], poses[solved, 2],
                                          image_wh[solved], x_factor, y_factor, forehead)
        empty = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
        reasons[solved & empty] = 'invalid_box'
    ok = reasons == ''
    if ok.any():
        local[ok] = pose_full_image_to_bbox(poses[ok], image_wh[ok], boxes[ok])
    poses[~ok] = boxes[~ok] = np.nan
    return poses, boxes, local, reasons


@DATASETS.register_module()
class Face300WLPDataset(FolderDataset):
    """300W-LP read from its own layout (see the module docstring), one labelled face per
    image, for img2pose's head-pose fine-tuning.

    Args:
        subsets (Sequence[str]): the folders under ``data_prefix['img']`` (default:
            ``data_root``) to read, every ``.mat`` of each, sorted; all eight by default.
            A missing folder is an error. Not used with ``ann_file``.
        ann_file (str): optional list of samples, one ``<subset>/<name>`` a line (an
            extension is ignored), e.g. to train on part of the data.
        landmarks (str): ``'pts_2d'`` (default) reads the 68 points from
            ``landmarks/<subset>/<name>_pts.mat``; ``'pt2d'`` from the image's ``.mat``
            (for a subset without landmark files).
        face_model (dict): :class:`~mmpose6d.geometry.FaceModel`'s arguments (None: its
            defaults, the model's): its ``reference68`` for the EPnP translation, its box
            rule for the box.

    Instances: ``dict(bbox, bbox_label=0, ignore_flag=0, landmarks=(68,2) float32,
    local_pose=(6,) float64)``, ``bbox`` integral. Labelling runs once per process at load
    time, vectorised but for the per-face EPnP.
    """

    def __init__(self, *args, subsets=SUBSETS_300WLP, landmarks='pts_2d', face_model=None,
                 **kwargs):
        if landmarks not in LANDMARK_KEYS:
            raise ValueError(f'landmarks={landmarks!r}: expected one of {LANDMARK_KEYS}')
        self.subsets = tuple(subsets)
        self.landmark_key = landmarks
        self.face_model = FaceModel.build(face_model)
        self.skip_counts = {}
        super().__init__(*args, **kwargs)

    def _list_names(self):
        """``<subset>/<name>`` of every sample to read."""
        if self.ann_file:
            with open(self.ann_file) as f:
                names = [osp.splitext(line.strip())[0] for line in f if line.strip()]
            bad = [n for n in names if len(n.split('/')) != 2]
            if bad:
                raise ValueError(f'{self.ann_file}: expected lines <subset>/<name>, got '
                                 f'{bad[:3]}')
            return names
        names = []
        for subset in self.subsets:
            folder = osp.join(self._folder(), subset)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'{folder}: no such 300W-LP subset folder (expected '
                    f'<data_root>/<subset>/<name>.jpg + .mat; `subsets` names the folders)')
            names += sorted(f'{subset}/{osp.splitext(n)[0]}' for n in os.listdir(folder)
                            if n.endswith('.mat'))
        return names

    def _read(self, name):
        """(data info without labels, landmarks (68,2), angles (3,)) of one sample."""
        subset, stem = name.split('/')
        base = osp.join(self._folder(), subset, stem)
        keys = ['Pose_Para'] + (['pt2d'] if self.landmark_key == 'pt2d' else [])
        mat = read_mat(f'{base}.mat', keys)
        para = mat['Pose_Para']
        if para.size != 7:
            raise AnnotationError('ann/bad_shape', f'{base}.mat: Pose_Para has shape '
                                  f'{para.shape}, expected 1x7 numbers')
        angles = para.reshape(7)[:3]
        if not np.isfinite(angles).all():
            raise AnnotationError('ann/malformed_pose',
                                  f'{base}.mat: non-finite Pose_Para angles {angles}')
        if self.landmark_key == 'pt2d':
            landmarks = as_landmarks(mat['pt2d'], f'{base}.mat', 'pt2d')
        else:
            path = osp.join(self._folder(), 'landmarks', subset, f'{stem}_pts.mat')
            landmarks = as_landmarks(read_mat(path, ['pts_2d'])['pts_2d'], path, 'pts_2d')
        width, height = read_image_size(f'{base}.jpg')
        info = dict(img_path=f'{base}.jpg', img_id=name, ann_path=f'{base}.mat',
                    height=height, width=width)
        return info, landmarks, angles

    def load_data_list(self):
        """The labelled samples; ``skip_counts`` gets what was skipped and why."""
        snapshot = SKIPS.snapshot()
        infos, landmarks, angles = [], [], []
        for name in self._list_names():
            try:
                info, points, angle = self._read(name)
            except AnnotationError as err:
                SKIPS.add(err.reason, str(err))
                continue
            infos.append(info)
            landmarks.append(points)
            angles.append(angle)
        data_list = self._label(infos, np.reshape(landmarks, (-1, 68, 2)),
                                np.reshape(angles, (-1, 3)))
        self.skip_counts = SKIPS.since(snapshot)
        return self._report(data_list)

    def _label(self, infos, landmarks, angles):
        """The data infos with their face, for the faces that get a label."""
        sizes = np.array([(info['width'], info['height']) for info in infos],
                         np.float64).reshape(-1, 2)
        face = self.face_model
        _, boxes, local, reasons = label_300wlp_faces(landmarks, angles, sizes, face.reference68,
                                                      **face.box_factors)
        data_list = []
        for info, points, box, pose, reason in zip(infos, landmarks, boxes, local, reasons):
            if reason:
                SKIPS.add(f'label/{reason}', f'{info["ann_path"]}: face not labelled '
                          f'({reason}), sample skipped')
                continue
            info['instances'] = [dict(bbox=box.tolist(), bbox_label=0, ignore_flag=0,
                                      landmarks=points.astype(np.float32), local_pose=pose)]
            data_list.append(info)
        return data_list
