"""What img2pose's labelling costs: its PnP labels of a rendered split against the exact
render poses."""
import json
from pathlib import Path

import cv2
import numpy as np

from mmpose6d.geometry import (global_pose_from_landmarks, rotation_angle_deg, rotvec_to_euler,
                               wrap_degrees)

from .writer import split_files


def label_errors(data_dir, split, reference68=None, reference5=None):
    """PnP pose labels of a rendered split against its exact render poses, per labelled face.

    Labels are made as img2pose trains with them (:func:`global_pose_from_landmarks` on the
    JSON landmarks and int boxes, image-sized ``K_img``; the rendered recipe's labels,
    ``solve_in='image'``, are exact instead) with ``reference68`` / ``reference5`` (default:
    the scan's own ``scan_ref68.npy`` / ``scan_ref5.npy`` in ``data_dir``; 5-point faces are left
    out when ``reference5`` is None and a 68-point file was given). Returns arrays over
    faces: ``points`` (68 or 5), ``rotation`` (degrees, angle of R_label^T R_render),
    ``euler`` (N,3: label minus render pitch, yaw, roll, degrees), ``translation``
    (|t_label - t_render| / |t_render|). With the scan's own points what remains is the
    cost of img2pose's labelling itself (PnP in each face's box with the box's own camera,
    then local -> global, while the image was taken by one camera); another reference adds
    its bias.
    """
    data_dir = Path(data_dir)
    if reference68 is None:
        reference68, reference5 = data_dir / 'scan_ref68.npy', data_dir / 'scan_ref5.npy'
    references = {68: np.load(reference68)}
    if reference5 is not None:
        references[5] = np.load(reference5)
    list_file, poses_file, _ = split_files(data_dir, split)
    with open(poses_file) as f:
        render_poses = json.load(f)
    points, labels, truths = [], [], []
    for line in list_file.read_text().split():
        with open(list_file.parent / line) as f:
            record = json.load(f)
        image_file = data_dir / split / 'images' / record['image_path']
        image = cv2.imread(str(image_file), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise FileNotFoundError(f'{image_file}: missing or unreadable (listed in {line})')
        truth = np.array(render_poses[record['image_path']]).reshape(-1, 6)
        for box, landmarks, pose in zip(record['bboxes'], record['landmarks'], truth):
            landmarks = np.array(landmarks)
            if (landmarks == -1).any() or len(landmarks) not in references:
                continue
            label = global_pose_from_landmarks(landmarks[None], np.array([box]),
                                               image.shape[1::-1], references[len(landmarks)])
            points.append(len(landmarks))
            labels.append(label[0])
            truths.append(pose)
    labels, truths = np.array(labels).reshape(-1, 6), np.array(truths).reshape(-1, 6)
    return {'points': np.array(points, int),
            'rotation': rotation_angle_deg(labels[:, :3], truths[:, :3]),
            'euler': wrap_degrees(rotvec_to_euler(labels[:, :3]) - rotvec_to_euler(truths[:, :3])),
            'translation': np.linalg.norm(labels[:, 3:] - truths[:, 3:], axis=1) /
            np.linalg.norm(truths[:, 3:], axis=1)}
