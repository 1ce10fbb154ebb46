"""The user's own camera: its intrinsics and lens distortion (from numbers or an OpenCV
calibration file), each face's pose solved in it from the face's projected reference
points, and the scale that turns reference units into millimetres.

img2pose reads every image as taken by its image camera (f = w + h, centre (w // 2,
h // 2)); a face's image, and so its predicted landmarks, stay what they are in any other
camera: only their interpretation, the pose, changes."""
import json
import numbers
from pathlib import Path

import cv2
import numpy as np
import torch

from ._backend import to_numpy
from .rotation import _skew, matrix_to_rotvec_t, rotvec_to_matrix, rotvec_to_matrix_t

#: Mean and standard deviation of the adult interpupillary distance, in millimetres:
#: N. A. Dodgson, "Variation and extrema of human interpupillary distance", Proc. SPIE
#: 5291, Stereoscopic Displays and Virtual Reality Systems XI (2004). A face of unknown size
#: is scaled to the mean, so its distance is off by the subject's deviation from it:
#: SD / mean, about 6 %.
ADULT_IPD_MM = 63.36
ADULT_IPD_SD_MM = 3.83

#: The numbers of distortion coefficients OpenCV's camera model takes
#: (k1 k2 p1 p2 [k3 [k4 k5 k6 [s1 s2 s3 s4 [tau_x tau_y]]]]).
DISTORTION_COUNTS = (0, 4, 5, 8, 12, 14)
#: The names calibration files give the camera matrix and the distortion coefficients:
#: OpenCV's calibration samples write the first, other tools the others.
MATRIX_KEYS = ('camera_matrix', 'cameraMatrix', 'K')
DISTORTION_KEYS = ('distortion_coefficients', 'dist_coeffs', 'distCoeffs', 'D')
_FILE_STORAGE_SUFFIXES = ('.yml', '.yaml', '.xml')
#: undistortion: OpenCV's fixed-point inversion of the distortion, run to convergence
_UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-14)


class CameraImageSizeError(ValueError):
    """An image of another size than the one a camera was calibrated on."""


class Camera:
    """A pinhole camera with OpenCV's lens distortion model.

    Args:
        matrix: the camera matrix ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` (3,3), pixels.
        distortion: 0, 4, 5, 8, 12 or 14 coefficients in OpenCV's order.
        image_size: ``(width, height)`` of the images it was calibrated on, or None. The
            intrinsics belong to that size: an image of another size is refused
            (:meth:`check_image_size`) rather than rescaled, since a resize and a crop (or
            another sensor mode) need different corrections and only the user knows which.
        source: what the camera came from (a file name), for error messages.
    """

    def __init__(self, matrix, distortion=(), image_size=None, source='camera'):
        self.source = str(source)
        matrix = np.asarray(matrix, np.float64)
        if matrix.size == 9:
            matrix = matrix.reshape(3, 3)
        if matrix.shape != (3, 3):
            raise ValueError(f'{source}: the camera matrix must be 3 x 3, got shape '
                             f'{matrix.shape}')
        if not np.isfinite(matrix).all():
            raise ValueError(f'{source}: the camera matrix has non-finite values')
        if matrix[0, 0] <= 0 or matrix[1, 1] <= 0:
            raise ValueError(f'{source}: the focal lengths must be positive, got fx '
                             f'{matrix[0, 0]:g}, fy {matrix[1, 1]:g}')
        if matrix[0, 1] or matrix[1, 0] or (matrix[2] != [0, 0, 1]).any():
            raise ValueError(f'{source}: not a camera matrix [[fx, 0, cx], [0, fy, cy], '
                             f'[0, 0, 1]] (skew is not supported): {matrix.tolist()}')
        distortion = np.asarray(distortion if distortion is not None else (),
                                np.float64).ravel()
        if len(distortion) not in DISTORTION_COUNTS:
            raise ValueError(f'{source}: {len(distortion)} distortion coefficients; OpenCV '
                             f'takes {", ".join(map(str, DISTORTION_COUNTS))}')
        if not np.isfinite(distortion).all():
            raise ValueError(f'{source}: the distortion coefficients have non-finite values')
        if image_size is not None:
            size = np.asarray(image_size, np.float64).ravel()
            if size.shape != (2, ) or (size <= 0).any() or (size != np.round(size)).any():
                raise ValueError(f'{source}: the image size must be two positive integers '
                                 f'(width, height), got {image_size}')
            image_size = tuple(int(v) for v in size)
        self.matrix, self.distortion, self.image_size = matrix, distortion, image_size

    def __repr__(self):
        fx, fy, cx, cy = self.intrinsics
        return (f'Camera(fx={fx:g}, fy={fy:g}, cx={cx:g}, cy={cy:g}, '
                f'distortion={self.distortion.tolist()}, image_size={self.image_size})')

    @property
    def intrinsics(self):
        """``(fx, fy, cx, cy)``."""
        m = self.matrix
        return float(m[0, 0]), float(m[1, 1]), float(m[0, 2]), float(m[1, 2])

    @classmethod
    def from_intrinsics(cls, fx, fy, cx, cy, distortion=(), image_size=None, source='camera'):
        """The camera of focal lengths ``fx``, ``fy`` and principal point ``cx``, ``cy``
        (pixels)."""
        return cls([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], distortion, image_size, source)

    @classmethod
    def from_file(cls, path):
        """The camera of a calibration file: OpenCV ``FileStorage`` YAML / XML (``.yml``,
        ``.yaml``, ``.xml``, as OpenCV's calibration samples write) or JSON (``.json``),
        holding the camera matrix (:data:`MATRIX_KEYS`), optionally the distortion
        coefficients (:data:`DISTORTION_KEYS`; none: no distortion) and ``image_width`` /
        ``image_height``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f'{path}: no such camera calibration file')
        suffix = path.suffix.lower()
        if suffix == '.json':
            values = _read_json(path)
        elif suffix in _FILE_STORAGE_SUFFIXES:
            values = _read_file_storage(path)
        else:
            raise ValueError(f'{path}: a camera file must be .json, .yml, .yaml or .xml')
        matrix = next((values[k] for k in MATRIX_KEYS if values.get(k) is not None), None)
        if matrix is None:
            raise ValueError(f'{path}: no camera matrix (looked for {", ".join(MATRIX_KEYS)})')
        distortion = next((values[k] for k in DISTORTION_KEYS if values.get(k) is not None),
                          ())
        width, height = values.get('image_width'), values.get('image_height')
        if (width is None) != (height is None):
            raise ValueError(f'{path}: image_width and image_height go together; only one is '
                             'given')
        return cls(matrix, distortion, None if width is None else (width, height), path)

    @classmethod
    def build(cls, camera):
        """A :class:`Camera` from itself, None (None), a calibration file path, ``(fx, fy,
        cx, cy)`` or a dict: ``dict(file=PATH)`` or ``dict(fx=, fy=, cx=, cy=[,
        distortion=[...]][, image_size=(w, h)])``."""
        if camera is None or isinstance(camera, cls):
            return camera
        if isinstance(camera, (str, Path)):
            return cls.from_file(camera)
        if isinstance(camera, dict):
            camera = dict(camera)
            if 'file' in camera:
                if len(camera) > 1:
                    raise ValueError(f'camera: dict(file=...) takes nothing else, got '
                                     f'{sorted(camera)}')
                return cls.from_file(camera['file'])
            missing = [k for k in ('fx', 'fy', 'cx', 'cy') if k not in camera]
            unknown = sorted(set(camera) - {'fx', 'fy', 'cx', 'cy', 'distortion', 'image_size'})
            if missing or unknown:
                raise ValueError(f'camera: needs fx, fy, cx, cy (missing {missing}), optionally '
                                 f'distortion and image_size (unknown {unknown}), or file')
            return cls.from_intrinsics(**camera)
        if isinstance(camera, (tuple, list)) and len(camera) == 4:
            return cls.from_intrinsics(*camera)
        raise TypeError(f'camera: expected a Camera, a calibration file, (fx, fy, cx, cy) or a '
                        f'dict, got {camera!r}')

    def save(self, path):
        """Write the camera as :meth:`from_file` reads it (JSON, or OpenCV YAML / XML by the
        suffix)."""
        path = Path(path)
        suffix = path.suffix.lower()
        size = {} if self.image_size is None else dict(image_width=self.image_size[0],
                                                       image_height=self.image_size[1])
        if suffix == '.json':
            path.write_text(json.dumps(dict(camera_matrix=self.matrix.tolist(),
                                            distortion_coefficients=self.distortion.tolist(),
                                            **size), indent=1))
            return
        if suffix not in _FILE_STORAGE_SUFFIXES:
            raise ValueError(f'{path}: a camera file must be .json, .yml, .yaml or .xml')
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
        for key, value in size.items():
            storage.write(key, value)
        storage.write('camera_matrix', self.matrix)
        if len(self.distortion):
            storage.write('distortion_coefficients', self.distortion[:, None])
        storage.release()

    def check_image_size(self, width, height):
        """Raise a :class:`CameraImageSizeError` when the camera was calibrated on images of
        another size."""
        if self.image_size is not None and tuple(self.image_size) != (int(width), int(height)):
            w, h = self.image_size
            raise CameraImageSizeError(
                f'{self.source}: calibrated on {w} x {h} images, given a {int(width)} x '
                f'{int(height)} image; its intrinsics belong to {w} x {h}: give the camera of '
                'this image (for a resized one: fx and cx times the width ratio, fy and cy '
                'times the height ratio)')

    def normalise(self, points):
        """Pixels (..., 2) -> undistorted normalised image coordinates ``((u - cx) / fx,
        (v - cy) / fy)`` of the distortion-free camera, float64 numpy; one OpenCV call for
        all points."""
        points = to_numpy(points, np.float64)
        if points.size == 0:
            return points.copy()
        flat = np.ascontiguousarray(points.reshape(-1, 1, 2))
        out = cv2.undistortPointsIter(flat, self.matrix, self.distortion, None, None,
                                      _UNDISTORT_CRITERIA)
        return out.reshape(points.shape)

    def project(self, points3d, poses):
        """Pixels (N,P,2), float64 numpy, of reference points (P,3) with poses (N,6) seen by
        this camera, distortion included; one OpenCV call for all faces."""
        poses = to_numpy(poses, np.float64).reshape(-1, 6)
        points3d = to_numpy(points3d, np.float64)
        if len(poses) == 0:
            return np.zeros((0, len(points3d), 2))
        cam = points3d @ rotvec_to_matrix(poses[:, :3]).transpose(0, 2, 1) + poses[:, None, 3:]
        pixels, _ = cv2.projectPoints(cam.reshape(-1, 1, 3), np.zeros(3), np.zeros(3),
                                      self.matrix, self.distortion)
        return pixels.reshape(len(poses), len(points3d), 2)


def _read_json(path):
    try:
        values = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f'{path}: not a JSON file ({error})') from None
    if not isinstance(values, dict):
        raise ValueError(f'{path}: expected a JSON object with {MATRIX_KEYS[0]}, got '
                         f'{type(values).__name__}')
    return values


def _read_file_storage(path):
    """The camera's values of an OpenCV FileStorage file: matrices, sequences or numbers."""
    try:
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except (cv2.error, SystemError) as error:  # OpenCV's parse error, raised in a SystemError
        cause = error.__cause__ if isinstance(error.__cause__, cv2.error) else error
        reason = str(cause).strip().split('error: ', 1)[-1]
        raise ValueError(f'{path}: OpenCV cannot parse it ({reason})') from None
    if not storage.isOpened():
        raise ValueError(f'{path}: OpenCV cannot open it as a FileStorage file')
    values = {}
    for key in MATRIX_KEYS + DISTORTION_KEYS + ('image_width', 'image_height'):
        node = storage.getNode(key)
        if node.empty():
            continue
        if node.isMap():                      # an opencv-matrix
            values[key] = node.mat()
        elif node.isSeq():
            values[key] = [node.at(i).real() for i in range(node.size())]
        else:
            values[key] = node.real()
    storage.release()
    return values


def interpupillary_distance(reference68):
    """The distance between the eye centres, the means of the 68-point reference's
    landmarks 36-41 and 42-47 (iBUG order), in its units."""
    reference68 = to_numpy(reference68, np.float64)
    return float(np.linalg.norm(reference68[36:42].mean(0) - reference68[42:48].mean(0)))


def checked_ipd_mm(ipd_mm):
    """``ipd_mm`` as a float, or a ValueError when it is not a positive number."""
    if isinstance(ipd_mm, bool) or not isinstance(ipd_mm, numbers.Real) or not ipd_mm > 0:
        raise ValueError(f'ipd_mm must be a positive number of millimetres, got {ipd_mm!r}')
    return float(ipd_mm)


def millimetres_per_unit(reference68, ipd_mm=ADULT_IPD_MM):
    """Millimetres per unit of ``reference68`` when its eye centres are ``ipd_mm`` apart
    (default: the adult mean, :data:`ADULT_IPD_MM`; give the subject's own when known)."""
    return checked_ipd_mm(ipd_mm) / interpupillary_distance(reference68)


def poses_in_camera(points2d, reference3d, camera, rotvecs, iterations=20):
    """The poses (N,6) in ``camera`` of faces whose reference points (P,3) are seen at
    ``points2d`` (N,P,2) pixels, solved for all faces at once.

    The points are undistorted (:meth:`Camera.normalise`, one call), then each pose
    minimises the reprojection error in undistorted pixels, the cost of OpenCV's
    ``solvePnP(SOLVEPNP_ITERATIVE)`` without distortion: Levenberg-Marquardt, vectorised
    over faces, ``iterations`` steps, started from the rotations ``rotvecs`` (N,3) (e.g. the
    model's poses) and the translation that best fits the points given each rotation (a
    linear least-squares problem). Tensors in give float64 tensors on their device out,
    numpy gives numpy.
    """
    like = points2d if isinstance(points2d, torch.Tensor) else None
    observed = torch.from_numpy(camera.normalise(points2d))
    reference = torch.from_numpy(to_numpy(reference3d, np.float64))
    rotations = rotvec_to_matrix_t(torch.from_numpy(to_numpy(rotvecs, np.float64)))
    focal = observed.new_tensor(camera.intrinsics[:2])
    if len(observed):
        rotations, translations = _refine_poses_t(observed, reference, rotations,
                                                  _fit_translations_t(observed, reference,
                                                                      rotations),
                                                  focal, iterations)
    else:
        translations = observed.new_zeros(0, 3)
    poses = torch.cat([matrix_to_rotvec_t(rotations), translations], -1)
    return poses.numpy() if like is None else poses.to(like.device)


def _fit_translations_t(observed, reference, rotations):
    """The translation (N,3) that best explains normalised points (N,P,2) of the rotated
    reference: ``m (q_z + t_z) = q_xy + t_xy`` is linear in ``t``, solved by least squares
    (exact for a noise-free projection with the right rotation)."""
    rotated = reference @ rotations.transpose(-1, -2)                     # (N,P,3)
    ones = torch.ones_like(observed[..., 0])
    zeros = torch.zeros_like(ones)
    rows_x = torch.stack([-ones, zeros, observed[..., 0]], -1)
    rows_y = torch.stack([zeros, -ones, observed[..., 1]], -1)
    design = torch.cat([rows_x, rows_y], 1)                               # (N,2P,3)
    target = torch.cat([rotated[..., 0] - observed[..., 0] * rotated[..., 2],
                        rotated[..., 1] - observed[..., 1] * rotated[..., 2]], 1)
    normal = design.transpose(1, 2) @ design
    return torch.linalg.solve_ex(normal, design.transpose(1, 2) @ target[..., None])[0][..., 0]


def _residuals_t(observed, reference, rotations, translations, focal):
    """Reprojection residuals (N,P,2) in undistorted pixels and the points in the camera."""
    cam = reference @ rotations.transpose(-1, -2) + translations[:, None]
    return (cam[..., :2] / cam[..., 2:] - observed) * focal, cam


def _refine_poses_t(observed, reference, rotations, translations, focal, iterations):
    """Levenberg-Marquardt on the reprojection error, all faces at once: each face keeps
    its own damping, and a step that does not lower its cost is refused. Rotations are
    updated on the left, ``R <- exp([d]x) R``."""
    residuals, cam = _residuals_t(observed, reference, rotations, translations, focal)
    cost = residuals.square().sum((1, 2))
    damping = torch.full_like(cost, 1e-3)
    for _ in range(iterations):
        x, y, z = cam.unbind(-1)
        zeros = torch.zeros_like(z)
        # d(projection)/d(camera point), (N,P,2,3), in pixels
        d_proj = torch.stack([torch.stack([1 / z, zeros, -x / z**2], -1) * focal[0],
                              torch.stack([zeros, 1 / z, -y / z**2], -1) * focal[1]], -2)
        rotated = cam - translations[:, None]
        jacobian = torch.cat([-d_proj @ _skew(rotated), d_proj], -1)       # (N,P,2,6)
        jacobian = jacobian.reshape(len(cam), -1, 6)
        hessian = jacobian.transpose(1, 2) @ jacobian
        gradient = jacobian.transpose(1, 2) @ residuals.reshape(len(cam), -1, 1)
        diagonal = torch.diag_embed(torch.diagonal(hessian, dim1=1, dim2=2))
        damped = hessian + damping[:, None, None] * diagonal
        step = -torch.linalg.solve_ex(damped, gradient)[0][..., 0]
        new_rotations = rotvec_to_matrix_t(step[:, :3]) @ rotations
        new_translations = translations + step[:, 3:]
        new_residuals, new_cam = _residuals_t(observed, reference, new_rotations,
                                              new_translations, focal)
        new_cost = new_residuals.square().sum((1, 2))
        better = new_cost < cost                       # False for a NaN cost
        rotations = torch.where(better[:, None, None], new_rotations, rotations)
        translations = torch.where(better[:, None], new_translations, translations)
        residuals = torch.where(better[:, None, None], new_residuals, residuals)
        cam = torch.where(better[:, None, None], new_cam, cam)
        cost = torch.where(better, new_cost, cost)
        damping = torch.where(better, damping / 10, damping * 10).clamp(1e-12, 1e12)
    return rotations, translations
