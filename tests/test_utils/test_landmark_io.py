"""Landmark file readers: values, conventions and errors that name the file."""
import json
import re

import numpy as np
import pytest

from mmpose6d.utils import read_faces_json, read_ljson_points, read_pts


def test_pts_is_one_based(tmp_path):
    path = tmp_path / 'face.pts'
    path.write_text('version: 1\nn_points:  3\n{\n1.0 1.0\n10.5 20.25\n3 4\n}\n')
    np.testing.assert_array_equal(read_pts(path), [[0, 0], [9.5, 19.25], [2, 3]])


@pytest.mark.parametrize('text,problem', [
    ('version: 1\nn_points: 2\n1 2\n3 4\n', 'no lines with "{" and "}"'),
    ('n_points: 2\n{\n1 2\n3 x\n}\n', 'malformed point lines'),
    ('n_points: 2\n{\n1 2 3\n4 5 6\n}\n', 'expected "x y" per line'),
    ('n_points: 3\n{\n1 2\n3 4\n}\n', 'header says n_points: 3 but lists 2 points'),
])
def test_malformed_pts(tmp_path, text, problem):
    path = tmp_path / 'bad.pts'
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(f'{path}: ') + '.*' + re.escape(problem)):
        read_pts(path)


def test_ljson_v3_and_v2(tmp_path):
    v3 = {'version': 3, 'groups': {'LJSON': {'labels': [],
                                             'landmarks': {'points': [[1, 2], [None, 4]]}}}}
    (tmp_path / 'a.ljson').write_text(json.dumps(v3))
    np.testing.assert_array_equal(read_ljson_points(tmp_path / 'a.ljson'), [[1, 2], [np.nan, 4]])
    v2 = {'version': 2, 'labels': [], 'landmarks': {'points': [[1, 2, 3]]}}
    (tmp_path / 'b.ljson').write_text(json.dumps(v2))
    np.testing.assert_array_equal(read_ljson_points(tmp_path / 'b.ljson'), [[1, 2, 3]])
    (tmp_path / 'c.ljson').write_text(json.dumps({'version': 1, 'groups': []}))
    with pytest.raises(ValueError, match='LJSON version 1 is not supported'):
        read_ljson_points(tmp_path / 'c.ljson')


def test_faces_json(tmp_path):
    path = tmp_path / 'faces.json'
    path.write_text(json.dumps({'landmarks': [[[1, 2]] * 5, [[3, 4]] * 5]}))
    landmarks, boxes = read_faces_json(path)
    assert landmarks.shape == (2, 5, 2) and boxes is None
    path.write_text(json.dumps({'landmarks': [[[1, 2]] * 5], 'bboxes': [[0, 0, 9, 9]]}))
    np.testing.assert_array_equal(read_faces_json(path)[1], [[0, 0, 9, 9]])
    path.write_text(json.dumps({'landmarks': [[[1, 2]] * 5, [[1, 2]] * 68]}))
    with pytest.raises(ValueError, match='"landmarks" must be nested lists of numbers with '
                                         'the same shape for every face'):
        read_faces_json(path)
    path.write_text(json.dumps({'landmarks': [[[1, 2]] * 5], 'bboxes': [[0, 0, 9]]}))
    with pytest.raises(ValueError, match=r'"bboxes" must have shape \(1, 4\), got \(1, 3\)'):
        read_faces_json(path)
