"""Face tracks across video frames: detections linked by box overlap and pose, poses smoothed
per track, Euler angles continued through |yaw| > 90."""
import numpy as np
from scipy.optimize import linear_sum_assignment

from ..geometry import box_iou, continuous_euler, rotation_angle_deg, rotvec_to_euler
from .one_euro import PoseOneEuroFilter

#: the cost of a forbidden (gated) pair; any allowed pair costs less than 3
_FORBIDDEN = 1e6
#: the pose filters' settings (Hz; Hz per rad/s or per distance/s; Hz), chosen on
#: tools/analysis_tools/benchmark_tracking.py: about half the rotation jitter and a quarter
#: of the translation jitter of the quick-start model at about 1.3 frames of lag (30 fps)
ROTATION_FILTER = dict(min_cutoff=1.0, beta=1.0, d_cutoff=1.0)
TRANSLATION_FILTER = dict(min_cutoff=1.0, beta=0.3, d_cutoff=1.0)


def euler_key(pose_key):
    """The name of the Euler angles of a pose array: ``'poses'`` -> ``'euler'``,
    ``'camera_poses'`` -> ``'camera_euler'`` (other names get ``_euler`` appended)."""
    if pose_key.endswith('poses'):
        return pose_key[:-len('poses')] + 'euler'
    return pose_key + '_euler'


class FaceTracker:
    """Frames of detected faces in, face tracks out.

    Each frame, the live tracks and the detections are paired by
    :func:`scipy.optimize.linear_sum_assignment` on the cost ``(1 - IoU) + angle /
    angle_scale`` of the track's last box and smoothed rotation against each detection's,
    pairs under ``min_iou`` or over ``max_angle`` being forbidden. A track missed in a frame
    keeps its pose and box (a constant prediction) and its ID for up to ``max_misses``
    frames in a row; one more miss ends it. Unpaired detections scoring at least
    ``new_track_score`` start tracks; the others are dropped. Each track's poses go through
    a :class:`~mmpose6d.tracking.PoseOneEuroFilter` (unless ``smooth=False``: then the
    smoothed pose is the detection's), and its Euler angles (:func:`rotvec_to_euler` of the
    smoothed pose) continue from frame to frame (:func:`continuous_euler`): they run on past
    |yaw| = 90 and +-180 instead of flipping.

    Args:
        pose_keys: the pose arrays (N,6) of the faces to track and smooth, e.g.
            ``('poses',)`` (the model's camera) or ``('camera_poses',)`` (the user's); the
            first one's rotation enters the cost.
        min_iou, max_angle: the gates (IoU, degrees).
        angle_scale: the angle (degrees) that costs as much as boxes that do not overlap.
        max_misses: frames in a row a track may be missed and keep its ID.
        new_track_score: the lowest score of a detection that starts a track.
        smooth: smooth the poses (False: tracks only).
        rotation_filter, translation_filter: the filters' ``min_cutoff`` (Hz), ``beta`` and
            ``d_cutoff`` (Hz) (:class:`~mmpose6d.tracking.PoseOneEuroFilter`; None:
            :data:`ROTATION_FILTER`, :data:`TRANSLATION_FILTER`).
        fps: the frame rate that times frames updated without a timestamp.
    """

    def __init__(self, pose_keys=('poses', ), min_iou=0.1, max_angle=75.0, angle_scale=90.0,
                 max_misses=5, new_track_score=0.0, smooth=True, rotation_filter=None,
                 translation_filter=None, fps=30.0):
        if isinstance(pose_keys, str) or not pose_keys:
            raise ValueError(f'pose_keys must be a sequence of pose array names, got '
                             f'{pose_keys!r}')
        if max_misses < 0:
            raise ValueError(f'max_misses must be 0 or more, got {max_misses}')
        if not fps > 0:
            raise ValueError(f'fps must be above 0, got {fps}')
        self.pose_keys = tuple(pose_keys)
        self.min_iou, self.max_angle, self.angle_scale = min_iou, max_angle, angle_scale
        self.max_misses, self.new_track_score = max_misses, new_track_score
        self.smooth, self.fps = smooth, float(fps)
        self.filter_args = dict(rotation=rotation_filter or ROTATION_FILTER,
                                translation=translation_filter or TRANSLATION_FILTER)
        PoseOneEuroFilter(**self.filter_args)  # check the filter arguments now
        self.reset()

    def reset(self):
        """End every track; IDs start again at 1 and time at 0."""
        self.frames = 0
        self.last_time = -np.inf
        self.next_id = 1
        self.ids = np.zeros(0, np.int64)
        self.ages = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int64)
        self.misses = np.zeros(0, np.int64)
        self.boxes = np.zeros((0, 4))
        self.scores = np.zeros(0)
        self.raw = {key: np.zeros((0, 6)) for key in self.pose_keys}
        self.smoothed = {key: np.zeros((0, 6)) for key in self.pose_keys}
        self.euler = {key: np.zeros((0, 3)) for key in self.pose_keys}
        self.filters = {key: PoseOneEuroFilter(**self.filter_args) for key in self.pose_keys}

    def __len__(self):
        return len(self.ids)

    def update(self, faces, timestamp=None):
        """Track one frame's ``faces``: a dict with ``bboxes`` (N,4), ``scores`` (N,) and each
        of ``pose_keys`` (N,6). ``timestamp`` in seconds (None: the frame count over
        ``fps``) must grow from frame to frame.

        Returns the tracked detections (unpaired ones under ``new_track_score`` left out),
        in their order: ``indices`` (M,) into the frame's faces, ``track_ids``, ``ages``
        (frames since the track started, 1 in its first), ``hits`` (frames it was detected
        in), and per pose key K ``smoothed_K`` (M,6) and ``continuous_<Euler of K>`` (M,3),
        e.g. ``smoothed_poses`` and ``continuous_euler``.
        """
        timestamp = self.frames / self.fps if timestamp is None else float(timestamp)
        if not timestamp > self.last_time:
            raise ValueError(f'timestamp {timestamp} is not after the previous frame\'s '
                             f'({self.last_time})')
        boxes, scores, poses = self._detections(faces)
        rows, cols = self._assign(boxes, poses[self.pose_keys[0]])
        missed = np.ones(len(self), bool)
        missed[rows] = False
        self.misses[missed] += 1
        self.misses[rows] = 0
        self.hits[rows] += 1
        self.ages += 1
        self.boxes[rows], self.scores[rows] = boxes[cols], scores[cols]
        for key in self.pose_keys:
            self.raw[key][rows] = poses[key][cols]
            self.smoothed[key][rows] = self.filters[key].update(
                rows, poses[key][cols], timestamp) if self.smooth else poses[key][cols]
            self.euler[key][rows] = continuous_euler(
                rotvec_to_euler(self.smoothed[key][rows, :3]), self.euler[key][rows])
        unpaired = np.ones(len(scores), bool)
        unpaired[cols] = False
        new = np.flatnonzero(unpaired & (scores >= self.new_track_score))
        tracked = np.r_[rows, len(self) + np.arange(len(new))]
        self._start(new, boxes, scores, poses, timestamp)
        alive = self.misses <= self.max_misses
        self._end(alive)
        self.frames += 1
        self.last_time = timestamp
        return self._frame_faces(np.r_[cols, new], (np.cumsum(alive) - 1)[tracked])

    def tracks(self):
        """Every live track (detected in this frame or missed for at most ``max_misses``
        frames): ``track_ids``, ``boxes`` and ``scores`` of its last detection, ``ages``,
        ``hits``, ``misses`` (frames in a row it was missed) and per pose key K, ``K`` (the
        last detection's), ``smoothed_K`` and ``continuous_<Euler of K>``."""
        out = dict(track_ids=self.ids.copy(), boxes=self.boxes.copy(),
                   scores=self.scores.copy(), ages=self.ages.copy(), hits=self.hits.copy(),
                   misses=self.misses.copy())
        for key in self.pose_keys:
            out[key] = self.raw[key].copy()
            out[f'smoothed_{key}'] = self.smoothed[key].copy()
            out[f'continuous_{euler_key(key)}'] = self.euler[key].copy()
        return out

    def _detections(self, faces):
        """Boxes (N,4), scores (N,) and the pose arrays {key: (N,6)} of a frame's faces, as
        float64 arrays; a clear error for a missing or misshapen one."""
        missing = [k for k in ('bboxes', 'scores') + self.pose_keys if k not in faces]
        if missing:
            raise KeyError(f'faces lack {", ".join(missing)} (they have '
                           f'{", ".join(sorted(faces)) or "nothing"})')
        scores = np.asarray(faces['scores'], np.float64).reshape(-1)
        arrays = dict(bboxes=4, **{key: 6 for key in self.pose_keys})
        out = {}
        for key, width in arrays.items():
            out[key] = np.asarray(faces[key], np.float64).reshape(-1, width) \
                if np.size(faces[key]) == len(scores) * width else None
            if out[key] is None:
                raise ValueError(f'faces[{key!r}] must be ({len(scores)}, {width}) for '
                                 f'{len(scores)} scores, got shape {np.shape(faces[key])}')
        return out.pop('bboxes'), scores, out

    def _assign(self, boxes, poses):
        """Pairs (track rows, detection indices) of least total cost within the gates."""
        if not len(self) or not len(boxes):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        iou = box_iou(self.boxes, boxes)
        angle = rotation_angle_deg(self.smoothed[self.pose_keys[0]][:, None, :3],
                                   poses[None, :, :3])
        allowed = (iou >= self.min_iou) & (angle <= self.max_angle)
        cost = np.where(allowed, 1 - iou + angle / self.angle_scale, _FORBIDDEN)
        rows, cols = linear_sum_assignment(cost)
        paired = allowed[rows, cols]
        return rows[paired], cols[paired]

    def _start(self, new, boxes, scores, poses, timestamp):
        """Tracks for the detections ``new``, with the next IDs."""
        count = len(new)
        self.ids = np.r_[self.ids, self.next_id + np.arange(count)]
        self.next_id += count
        self.ages = np.r_[self.ages, np.ones(count, np.int64)]
        self.hits = np.r_[self.hits, np.ones(count, np.int64)]
        self.misses = np.r_[self.misses, np.zeros(count, np.int64)]
        self.boxes = np.concatenate([self.boxes, boxes[new]])
        self.scores = np.r_[self.scores, scores[new]]
        for key in self.pose_keys:
            self.raw[key] = np.concatenate([self.raw[key], poses[key][new]])
            self.smoothed[key] = np.concatenate([self.smoothed[key], poses[key][new]])
            self.euler[key] = np.concatenate([self.euler[key],
                                              rotvec_to_euler(poses[key][new, :3])])
            if self.smooth:
                self.filters[key].start(poses[key][new], timestamp)

    def _end(self, alive):
        """Keep the tracks where ``alive`` (K,) is true."""
        self.ids, self.ages, self.hits = self.ids[alive], self.ages[alive], self.hits[alive]
        self.misses, self.boxes, self.scores = self.misses[alive], self.boxes[alive], \
            self.scores[alive]
        for key in self.pose_keys:
            self.raw[key], self.smoothed[key] = self.raw[key][alive], self.smoothed[key][alive]
            self.euler[key] = self.euler[key][alive]
            if self.smooth:
                self.filters[key].keep(alive)

    def _frame_faces(self, indices, rows):
        """The tracked detections ``indices`` (their tracks' ``rows``), in detection
        order."""
        order = np.argsort(indices, kind='stable')
        indices, rows = indices[order], rows[order]
        out = dict(indices=indices, track_ids=self.ids[rows], ages=self.ages[rows],
                   hits=self.hits[rows])
        for key in self.pose_keys:
            out[f'smoothed_{key}'] = self.smoothed[key][rows]
            out[f'continuous_{euler_key(key)}'] = self.euler[key][rows]
        return out
