"""Head-pose benchmarks in the layouts img2pose's evaluation used: AFLW2000-3D and BIWI.

Both give one face per image and its ground-truth Euler angles in degrees, ``gt_euler`` =
(pitch, yaw, roll) in the AFLW convention of :func:`mmpose6d.geometry.rotvec_to_euler`
(``docs/geometry.md``, "Euler angles for head-pose benchmarks"). Each data info holds them
twice: in its single instance and at the top level (``gt_euler``, and for AFLW ``gt_bbox``),
so that ``PackPoseDetInputs(extra_meta_keys=('gt_euler', 'gt_bbox'))`` hands them to
:class:`~mmpose6d.evaluation.HeadPoseMetric` in the data sample's metainfo, untouched by the
resize.

The convention, in matrices (:func:`~mmpose6d.geometry.euler_to_matrix`, proved in
``tests/test_datasets/test_head_pose_datasets.py``): ``R(r) = Rx(-pitch) @ Ry(yaw) @
Rz(roll)``. A matrix gives back ``|yaw| <= 90``: a gt yaw in (90, 99] (kept by the AFLW
protocol) is predicted, at best, as the equivalent triple (pitch +- 180, 180 - yaw,
roll +- 180), as in the original evaluation.

Bad files are skipped with a counted reason (:mod:`~mmpose6d.datasets.skip_counter`), each
logged once with the file and the problem: ``ann/missing_file``, ``ann/unreadable_mat``,
``ann/missing_key``, ``ann/bad_shape``, ``ann/malformed_pose``, ``ann/bad_rotation``,
``image/missing``, ``image/corrupt``. Protocol skips (AFLW angles beyond ``max_angle``) are
not errors: they are not logged one by one, but counted beside the errors in the dataset's
``skip_counts`` (``skip_counts['protocol/angle_beyond_99']``) and its summary line.
"""
import os
import os.path as osp
import re
from collections import Counter

import numpy as np
from mmdet.datasets import BaseDetDataset
from mmengine.logging import MMLogger

from mmpose6d.geometry import matrix_to_euler
from mmpose6d.registry import DATASETS

from .img2pose_dataset import FACE_METAINFO
from .skip_counter import SKIPS, AnnotationError, format_counts

PROTOCOL_SKIP = 'protocol/angle_beyond_99'


def read_aflw_mat(path):
    """``(pt3d_68 (3,68), Pose_Para (7,))`` float64 of an AFLW2000-3D ``.mat``; raises
    :class:`AnnotationError` naming the file and the problem."""
    from scipy.io import loadmat
    if not osp.isfile(path):
        raise AnnotationError('ann/missing_file', f'{path}: annotation file missing')
    try:
        mat = loadmat(path)
    except Exception as err:  # scipy raises ValueError, OSError, MatReadError...
        raise AnnotationError('ann/unreadable_mat', f'{path}: unreadable .mat ({err})') from None
    missing = [k for k in ('pt3d_68', 'Pose_Para') if k not in mat]
    if missing:
        raise AnnotationError('ann/missing_key', f'{path}: no {", ".join(missing)} in the .mat')
    try:
        points = np.asarray(mat['pt3d_68'], np.float64).reshape(3, 68)
        para = np.asarray(mat['Pose_Para'], np.float64).reshape(7)
    except (TypeError, ValueError):
        raise AnnotationError(
            'ann/bad_shape', f'{path}: pt3d_68 {np.shape(mat["pt3d_68"])} must be 3x68 and '
            f'Pose_Para {np.shape(mat["Pose_Para"])} 1x7 numbers') from None
    if not (np.isfinite(points[:2]).all() and np.isfinite(para[:3]).all()):
        raise AnnotationError('ann/bad_shape', f'{path}: non-finite pt3d_68 x/y or angles')
    return points, para


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


class _HeadPoseDataset(BaseDetDataset):
    """One face per image with ``gt_euler``; subclasses list the samples and parse one.

    ``ann_file`` (optional) lists the samples to use, one name per line (see the subclass);
    without it every sample under ``data_prefix['img']`` is used, in sorted order. With
    ``check_images`` a missing image or one whose header does not decode is skipped (test
    pipelines may not drop samples) and ``height``/``width`` are read from the header.
    """

    METAINFO = FACE_METAINFO

    def __init__(self, *args, check_images=True, **kwargs):
        self.check_images = check_images
        self.skip_counts = Counter()
        self._protocol_skips = Counter()
        super().__init__(*args, **kwargs)

    def _folder(self):
        """The sample folder: ``data_prefix['img']`` (or mmengine's default key
        ``img_path``), both joined with ``data_root``."""
        return self.data_prefix.get('img', self.data_prefix.get('img_path', '')) or '.'

    def _list_names(self):
        raise NotImplementedError

    def _parse(self, name):
        raise NotImplementedError

    def _image_size(self, path):
        """(height, width) from the image header, or None after counting the skip."""
        from PIL import Image
        if not osp.isfile(path):
            SKIPS.add('image/missing', f'{path}: image missing, sample skipped')
            return None
        try:
            with Image.open(path) as img:
                width, height = img.size
        except Exception as err:  # PIL raises several types on garbage
            SKIPS.add('image/corrupt', f'{path}: image header unreadable ({err}), skipped')
            return None
        return height, width

    def load_data_list(self):
        """The usable samples; ``skip_counts`` gets what :data:`SKIPS` counted meanwhile and
        the protocol skips."""
        snapshot = SKIPS.snapshot()
        self._protocol_skips.clear()
        data_list = []
        for name in self._list_names():
            try:
                info = self._parse(name)
            except AnnotationError as err:
                SKIPS.add(err.reason, str(err))
                continue
            if info is None:
                continue
            if self.check_images:
                size = self._image_size(info['img_path'])
                if size is None:
                    continue
                info['height'], info['width'] = size
            data_list.append(info)
        self.skip_counts = SKIPS.since(snapshot) + self._protocol_skips
        summary = (f'{type(self).__name__}({self._folder()}): {len(data_list)} images; '
                   f'skipped: {format_counts(self.skip_counts)}')
        if not data_list:
            raise ValueError(f'{summary}: no usable sample (see the class docstring for the '
                             'layout)')
        MMLogger.get_current_instance().info(summary)
        return data_list

    def _read_names(self):
        with open(self.ann_file) as f:
            return [line.strip() for line in f if line.strip()]


@DATASETS.register_module()
class AFLW2000Dataset(_HeadPoseDataset):
    """AFLW2000-3D: ``imageXXXXX.jpg`` / ``imageXXXXX.mat`` pairs in ``data_prefix['img']``
    (default: ``data_root``).

    Each ``.mat`` holds ``pt3d_68`` (3x68: x, y in image pixels, z) and ``Pose_Para`` (1x7:
    pitch, yaw, roll in radians, then tx, ty, tz, scale). The face's ``bbox`` is the extent
    of ``pt3d_68[:2]`` (min/max of the 68 x and y, as stored, not rounded): the box the
    original img2pose protocol matches predictions against by IoU. ``gt_euler`` is
    ``degrees(Pose_Para[:3])`` (pitch, yaw, roll).

    Protocol: images whose gt angles exceed ``max_angle`` (99 degrees) in absolute value are
    skipped here, so the metric sees exactly the evaluated set; on the official 2000 images
    this keeps 1969 (``skip_counts`` and the log give the count; ``max_angle=None`` keeps
    all).

    ``ann_file`` (optional) lists image names (``image00002``, with or without extension).
    Instances: ``dict(bbox, bbox_label=0, ignore_flag=0, landmarks=(68,2) float32,
    gt_euler=(3,))``; the data info also has ``gt_euler`` and ``gt_bbox`` (float64) at the top.
    """

    def __init__(self, *args, max_angle=99.0, **kwargs):
        self.max_angle = max_angle
        super().__init__(*args, **kwargs)

    def _list_names(self):
        if self.ann_file:
            return [osp.splitext(osp.basename(n))[0] for n in self._read_names()]
        folder = self._folder()
        return sorted(osp.splitext(n)[0] for n in os.listdir(folder) if n.endswith('.mat'))

    def _parse(self, name):
        folder = self._folder()
        mat_path = osp.join(folder, f'{name}.mat')
        points, para = read_aflw_mat(mat_path)
        euler = np.degrees(para[:3])
        if self.max_angle is not None and (np.abs(euler) > self.max_angle).any():
            self._protocol_skips[PROTOCOL_SKIP] += 1
            return None
        xy = points[:2].T
        bbox = np.concatenate([xy.min(0), xy.max(0)])
        face = dict(bbox=bbox.tolist(), bbox_label=0, ignore_flag=0,
                    landmarks=xy.astype(np.float32), gt_euler=euler)
        return dict(img_path=osp.join(folder, f'{name}.jpg'), img_id=name,
                    ann_path=mat_path, instances=[face], gt_euler=euler, gt_bbox=bbox)


_BIWI_POSE = re.compile(r'frame_(\d+)_pose\.txt$')


@DATASETS.register_module()
class BIWIDataset(_HeadPoseDataset):
    """BIWI Kinect head pose database, raw layout: ``<subject 01..24>/frame_<n>_rgb.png``
    with ``frame_<n>_pose.txt`` under ``data_prefix['img']`` (default: ``data_root``, e.g.
    ``data/BIWI/hpdb/``); all 24 subjects (15,678 frames in the full database) unless
    ``subjects`` (ids, e.g. ``[1, 12]``) or ``ann_file`` (lines ``01/frame_00003``) restrict.

    ``gt_euler`` is Hopenet's conversion of the pose file's matrix
    (:func:`~mmpose6d.geometry.matrix_to_euler`). BIWI's matrix is our pose rotation
    ``R(r)`` (both map head to camera axes, x right, y down, z forward; frontal = identity):
    real files cannot be checked here; the relation is the one under which img2pose's
    published BIWI errors (its AFLW-convention predictions against these angles) are a few
    degrees. The
    translation (mm, depth-camera frame) is kept as ``gt_translation``, not evaluated. The
    database has no face boxes: ``instances`` is empty and the metric picks the confident
    detection closest to the image centre.
    """

    def __init__(self, *args, subjects=None, **kwargs):
        self.subjects = None if subjects is None else {int(s) for s in subjects}
        super().__init__(*args, **kwargs)

    def _list_names(self):
        if self.ann_file:
            names = self._read_names()
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
