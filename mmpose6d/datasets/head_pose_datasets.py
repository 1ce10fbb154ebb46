"""Head-pose benchmarks in the layouts img2pose's evaluation used: AFLW2000-3D and BIWI.

Both give one face per image and its ground-truth Euler angles in degrees, ``gt_euler`` =
(pitch, yaw, roll) in the AFLW convention of :func:`mmpose6d.geometry.rotvec_to_euler`
(``docs/geometry.md``, "Euler angles for head-pose benchmarks"). Each data info holds them
twice: in its single instance and at the top level (``gt_euler``, and for AFLW ``gt_bbox``
and ``gt_translation``), so that ``PackPoseDetInputs(extra_meta_keys=(...))`` hands them to
:class:`~mmpose6d.evaluation.HeadPoseMetric` in the data sample's metainfo, untouched by the
resize.

The convention, in matrices (:func:`~mmpose6d.geometry.euler_to_matrix`, proved in
``tests/test_datasets/test_head_pose_datasets.py``): ``R(r) = Rx(-pitch) @ Ry(yaw) @
Rz(roll)``. A matrix gives back ``|yaw| <= 90``: a gt yaw in (90, 99] (kept by the AFLW
protocol) is predicted, at best, as the equivalent triple (pitch +- 180, 180 - yaw,
roll +- 180), as in the original evaluation.

Both accept the lists of the original evaluation notebooks as ``ann_file``
(``AFLW2000_annotations.txt``, ``BIWI_annotations.txt``), with their paths as published.

Bad files are skipped with a counted reason (:mod:`~mmpose6d.datasets.skip_counter`), each
logged once with the file and the problem: ``ann/missing_file``, ``ann/unreadable_mat``,
``ann/missing_key``, ``ann/bad_shape``, ``ann/malformed_pose``, ``ann/bad_rotation``,
``ann/pnp_failed`` (AFLW: no PnP pose from the 68 points), ``image/missing``,
``image/corrupt``. Protocol skips (AFLW angles beyond ``max_angle``) are not errors: they are
not logged one by one, but counted beside the errors in the dataset's ``skip_counts``
(``skip_counts['protocol/angle_beyond_99']``) and its summary line.
"""
import os
import os.path as osp
import re
from collections import Counter

import numpy as np
from mmdet.datasets import BaseDetDataset
from mmengine.logging import MMLogger

from mmpose6d.geometry import (FaceModel, image_pose_from_landmarks, landmarks_to_bbox,
                               matrix_to_euler)
from mmpose6d.registry import DATASETS

from .img2pose_dataset import FACE_METAINFO
from .skip_counter import SKIPS, AnnotationError, format_counts

PROTOCOL_SKIP = 'protocol/angle_beyond_99'


def read_mat(path, keys):
    """``{key: float64 array}`` of a ``.mat`` file; raises :class:`AnnotationError` naming
    the file and the problem (``ann/missing_file``, ``ann/unreadable_mat``,
    ``ann/missing_key``, ``ann/bad_shape``)."""
    from scipy.io import loadmat
    if not osp.isfile(path):
        raise AnnotationError('ann/missing_file', f'{path}: annotation file missing')
    try:
        mat = loadmat(path, variable_names=list(keys))
    except Exception as err:  # scipy raises ValueError, OSError, MatReadError...
        raise AnnotationError('ann/unreadable_mat', f'{path}: unreadable .mat ({err})') from None
    missing = [k for k in keys if k not in mat]
    if missing:
        raise AnnotationError('ann/missing_key', f'{path}: no {", ".join(missing)} in the .mat')
    try:
        return {k: np.asarray(mat[k], np.float64) for k in keys}
    except (TypeError, ValueError):
        raise AnnotationError('ann/bad_shape', f'{path}: {", ".join(keys)} must be numeric '
                              'arrays') from None


def read_aflw_mat(path):
    """``(pt3d_68 (3,68), Pose_Para (7,))`` float64 of an AFLW2000-3D ``.mat``; raises
    :class:`AnnotationError` naming the file and the problem."""
    mat = read_mat(path, ('pt3d_68', 'Pose_Para'))
    try:
        points = mat['pt3d_68'].reshape(3, 68)
        para = mat['Pose_Para'].reshape(7)
    except ValueError:
        raise AnnotationError(
            'ann/bad_shape', f'{path}: pt3d_68 {mat["pt3d_68"].shape} must be 3x68 and '
            f'Pose_Para {mat["Pose_Para"].shape} 1x7 numbers') from None
    if not (np.isfinite(points[:2]).all() and np.isfinite(para[:3]).all()):
        raise AnnotationError('ann/bad_shape', f'{path}: non-finite pt3d_68 x/y or angles')
    return points, para


def read_image_size(path):
    """(width, height) from an image header; raises :class:`AnnotationError`
    (``image/missing``, ``image/corrupt``) naming the file."""
    from PIL import Image
    if not osp.isfile(path):
        raise AnnotationError('image/missing', f'{path}: image missing, sample skipped')
    try:
        with Image.open(path) as img:
            return img.size
    except Exception as err:  # PIL raises several types on garbage
        raise AnnotationError('image/corrupt', f'{path}: image header unreadable ({err}), '
                              'skipped') from None


def read_biwi_pose(path):
    """``(R (3,3), T (3,))`` of a BIWI ``frame_<n>_pose.txt``: three rows of the rotation, a
    blank line, the translation (mm, depth camera). Raises :class:`AnnotationError`."""
    if not osp.isfile(path):
        raise AnnotationError('ann/missing_file', f'{path}: annotation file missing')
    try:
        with open(path) as f:
            rows = [line.split() for line in f if line.strip()]
        values = np.array(rows, np.float64)
    except OSError as err:
        raise AnnotationError('ann/malformed_pose', f'{path}: unreadable ({err})') from None
    except ValueError:
        raise AnnotationError('ann/malformed_pose', f'{path}: expected 4 lines of 3 numbers '
                              f'(rotation rows, then translation), got {rows}') from None
    if values.shape != (4, 3) or not np.isfinite(values).all():
        raise AnnotationError('ann/malformed_pose', f'{path}: expected 4 lines of 3 finite '
                              f'numbers (rotation rows, then translation), got {rows}')
    rot = values[:3]
    if (np.abs(rot @ rot.T - np.eye(3)).max() > 1e-3) or np.linalg.det(rot) <= 0:
        raise AnnotationError('ann/bad_rotation', f'{path}: the 3x3 matrix is not a rotation')
    return rot, values[3]


class FolderDataset(BaseDetDataset):
    """A face dataset read from its own folder layout, one face per image: the folder, and
    the summary its loading logs (an error when nothing is usable). Subclasses set
    ``skip_counts`` while loading."""

    METAINFO = FACE_METAINFO

    def _folder(self):
        """The sample folder: ``data_prefix['img']`` (or mmengine's default key
        ``img_path``), both joined with ``data_root``."""
        return self.data_prefix.get('img', self.data_prefix.get('img_path', '')) or '.'

    def _report(self, data_list):
        """Log how many samples were loaded and what was skipped; raise if none is usable."""
        summary = (f'{type(self).__name__}({self._folder()}): {len(data_list)} images; '
                   f'skipped: {format_counts(self.skip_counts)}')
        if not data_list:
            raise ValueError(f'{summary}: no usable sample (see the class docstring for the '
                             'layout)')
        MMLogger.get_current_instance().info(summary)
        return data_list


class _HeadPoseDataset(FolderDataset):
    """One face per image with ``gt_euler``; subclasses list the samples and parse one.

    ``ann_file`` (optional) lists the samples to use, one per line, the first word of each
    line read (see the subclass); without it every sample under ``data_prefix['img']`` is
    used, in sorted order. With ``check_images`` a missing image or one whose header does not
    decode is skipped (test pipelines may not drop samples) and ``height``/``width`` are read
    from the header.
    """

    def __init__(self, *args, check_images=True, **kwargs):
        self.check_images = check_images
        self.skip_counts = Counter()
        self._protocol_skips = Counter()
        super().__init__(*args, **kwargs)

    def _list_names(self):
        raise NotImplementedError

    def _parse(self, name):
        raise NotImplementedError

    def _complete(self, info):
        """The data info once ``height``/``width`` are known; may raise
        :class:`AnnotationError`."""
        return info

    def load_data_list(self):
        """The usable samples; ``skip_counts`` gets what :data:`SKIPS` counted meanwhile and
        the protocol skips."""
        snapshot = SKIPS.snapshot()
        self._protocol_skips.clear()
        data_list = []
        for name in self._list_names():
            try:
                info = self._parse(name)
                if info is None:
                    continue
                if self.check_images:
                    info['width'], info['height'] = read_image_size(info['img_path'])
                data_list.append(self._complete(info))
            except AnnotationError as err:
                SKIPS.add(err.reason, str(err))
        self.skip_counts = SKIPS.since(snapshot) + self._protocol_skips
        return self._report(data_list)

    def _read_names(self):
        """The first word of every non-empty line of ``ann_file``."""
        with open(self.ann_file) as f:
            return [line.split()[0] for line in f if line.strip()]


@DATASETS.register_module()
class AFLW2000Dataset(_HeadPoseDataset):
    """AFLW2000-3D: ``imageXXXXX.jpg`` / ``imageXXXXX.mat`` pairs in ``data_prefix['img']``
    (default: ``data_root``), with the targets of img2pose's evaluation notebook.

    Each ``.mat`` holds ``pt3d_68`` (3x68: x, y in image pixels, z) and ``Pose_Para`` (1x7:
    pitch, yaw, roll in radians, then tx, ty, tz, scale). ``gt_euler`` is
    ``degrees(Pose_Para[:3])`` (pitch, yaw, roll). The 68 points (x, y) give the rest, as in
    the notebook:

    - ``gt_translation`` (3,): the translation of the EPnP pose of the face model's
      ``reference68`` (``face_model``: :class:`~mmpose6d.geometry.FaceModel`'s arguments,
      None: its defaults, the model's) solved directly in the image camera, f = w + h, centre
      (w // 2, h // 2) (:func:`~mmpose6d.geometry.image_pose_from_landmarks`).
    - ``gt_bbox`` (4,), the box predictions are matched against: with
      ``target_box='expanded'`` (the notebook's) the points' box by the face model's box rule
      (scaled 1.1 x 1.1 and grown by 0.3 of their extent on the forehead side, the side chosen
      by that PnP pose's rotation-vector z as if it were the roll:
      :func:`~mmpose6d.geometry.landmarks_to_bbox`, integral, clipped to the image);
      ``'extent'``: the min/max of the points.

    Protocol: images whose gt angles exceed ``max_angle`` (99 degrees) in absolute value are
    skipped, as the notebook skips them before predicting, so the metric sees exactly the
    evaluated set; on the official 2000 images this keeps 1969 (``skip_counts`` and the log
    give the count; ``max_angle=None`` keeps all).

    ``ann_file`` (optional) lists images, one per line, with or without folder and
    extension: the notebook's ``AFLW2000_annotations.txt`` (``../../datasets/AFLW2000/
    image00002.jpg``) works as published; without it every ``.jpg`` of the folder is used.
    The target needs each image's size, read from its header (``check_images`` must stay
    True). Instances: ``dict(bbox=gt_bbox, bbox_label=0, ignore_flag=0, landmarks=(68,2),
    gt_euler=(3,))``; the data info also has ``gt_euler``, ``gt_bbox`` and ``gt_translation``
    (float64) at the top.
    """

    TARGET_BOXES = ('expanded', 'extent')

    def __init__(self, *args, max_angle=99.0, target_box='expanded', face_model=None,
                 **kwargs):
        if target_box not in self.TARGET_BOXES:
            raise ValueError(f'target_box must be one of {self.TARGET_BOXES}, not '
                             f'{target_box!r}')
        if not kwargs.get('check_images', True):
            raise ValueError('AFLW2000Dataset reads every image size for its targets: '
                             'check_images=False is not supported')
        self.max_angle = max_angle
        self.target_box = target_box
        self.face_model = FaceModel.build(face_model)
        super().__init__(*args, **kwargs)

    def _list_names(self):
        if self.ann_file:
            return [osp.splitext(osp.basename(n))[0] for n in self._read_names()]
        folder = self._folder()
        return sorted(osp.splitext(n)[0] for n in os.listdir(folder) if n.endswith('.jpg'))

    def _parse(self, name):
        folder = self._folder()
        mat_path = osp.join(folder, f'{name}.mat')
        points, para = read_aflw_mat(mat_path)
        euler = np.degrees(para[:3])
        if self.max_angle is not None and (np.abs(euler) > self.max_angle).any():
            self._protocol_skips[PROTOCOL_SKIP] += 1
            return None
        face = dict(bbox_label=0, ignore_flag=0, landmarks=points[:2].T.copy(), gt_euler=euler)
        return dict(img_path=osp.join(folder, f'{name}.jpg'), img_id=name,
                    ann_path=mat_path, instances=[face], gt_euler=euler)

    def _complete(self, info):
        """The targets of the image camera: PnP translation and box."""
        face, = info['instances']
        xy = face['landmarks']
        image_wh = np.array([info['width'], info['height']], np.float64)
        pose, (reason, ) = image_pose_from_landmarks(xy[None], image_wh,
                                                     self.face_model.reference68,
                                                     return_reasons=True)
        if reason:
            raise AnnotationError('ann/pnp_failed', f'{info["ann_path"]}: pt3d_68 gives no '
                                  f'PnP pose ({reason})')
        if self.target_box == 'expanded':
            bbox = landmarks_to_bbox(xy[None], pose[:, 2], image_wh,
                                     **self.face_model.box_factors)[0]
        else:
            bbox = np.concatenate([xy.min(0), xy.max(0)])
        face['bbox'] = bbox.tolist()
        info.update(gt_bbox=bbox, gt_translation=pose[0, 3:])
        return info


_BIWI_POSE = re.compile(r'frame_(\d+)_pose\.txt$')
#: a listed BIWI frame: ``01/frame_00003`` or the notebook's ``.../01/frame_00003_rgb.png``
_BIWI_LISTED = re.compile(r'(?:^|/)(\d+)/(frame_\d+)(?:_rgb\.png)?$')


@DATASETS.register_module()
class BIWIDataset(_HeadPoseDataset):
    """BIWI Kinect head pose database, raw layout: ``<subject 01..24>/frame_<n>_rgb.png``
    with ``frame_<n>_pose.txt`` under ``data_prefix['img']`` (default: ``data_root``, e.g.
    ``data/BIWI/hpdb/``); all 24 subjects (15,678 frames in the full database) unless
    ``subjects`` (ids, e.g. ``[1, 12]``) or ``ann_file`` restrict.

    ``ann_file`` lines name a frame by its subject folder and frame: ``01/frame_00003``, or
    as the original notebook's ``BIWI_annotations.txt`` (13,219 frames, the paper's set) as
    published: ``../../datasets/BIWI/01/frame_00003_rgb.png a b c`` (only the last two path
    parts are used, the numbers not at all); frames are kept in the list's order.

    ``gt_euler`` is the notebook's (and Hopenet's) conversion of the pose file's matrix
    (:func:`~mmpose6d.geometry.matrix_to_euler`). BIWI's matrix is our pose rotation
    ``R(r)`` (both map head to camera axes, x right, y down, z forward; frontal = identity):
    real files cannot be checked here; the relation is the one under which img2pose's
    published BIWI errors (its AFLW-convention predictions against these angles) are a few
    degrees. The translation (mm, depth-camera frame) is kept as ``gt_translation``, not
    evaluated. The database has no face boxes: ``instances`` is empty and the metric picks
    the confident detection closest to the image centre.
    """

    def __init__(self, *args, subjects=None, **kwargs):
        self.subjects = None if subjects is None else {int(s) for s in subjects}
        super().__init__(*args, **kwargs)

    def _list_names(self):
        if self.ann_file:
            names = []
            for entry in self._read_names():
                match = _BIWI_LISTED.search(entry.replace('\\', '/'))
                if match is None:
                    raise ValueError(f'{self.ann_file}: {entry!r} does not name a frame as '
                                     '<subject>/frame_<n> or .../<subject>/frame_<n>_rgb.png')
                names.append(f'{match.group(1)}/{match.group(2)}')
        else:
            folder = self._folder()
            names = []
            for subject in sorted(os.listdir(folder)):
                if subject.isdigit() and osp.isdir(osp.join(folder, subject)):
                    names += [f'{subject}/frame_{m.group(1)}'
                              for m in map(_BIWI_POSE.match, os.listdir(osp.join(folder, subject)))
                              if m]
            names.sort()
        if self.subjects is not None:
            names = [n for n in names if int(n.split('/')[0]) in self.subjects]
        return names

    def _parse(self, name):
        base = osp.join(self._folder(), name)
        pose_path = f'{base}_pose.txt'
        rot, trans = read_biwi_pose(pose_path)
        euler = matrix_to_euler(rot[None])[0]
        return dict(img_path=f'{base}_rgb.png', img_id=name, ann_path=pose_path, instances=[],
                    gt_euler=euler, gt_rotation=rot, gt_translation=trans)
