"""Img2PoseDataset: the img2pose JSON format, validation and counted skips."""
import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose

from mmpose6d.registry import DATASETS


def _scene_entries(synth, count=2):
    entries = []
    for i in range(count):
        img, ann = synth.scene(seed=i)
        entries.append(dict(name=f'scene{i}', image=img, ann=ann))
    return entries


def test_loads_faces_boxes_and_landmarks(synth):
    img, ann = synth.scene()
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    int_boxes = dict(ann, bboxes=[[int(v) for v in b[:4]] for b in ann['bboxes']])
    list_file = synth.write([dict(name='colour', image=img, ann=ann),
                             dict(name='gray', image=gray, ann=int_boxes)])
    dataset = DATASETS.build(synth.dataset_cfg(list_file))
    assert len(dataset) == 2 and dataset.metainfo['classes'] == ('face', )
    info = dataset.get_data_info(0)
    assert info['img_path'] == str(synth.root / 'images' / 'colour.jpg')
    assert info['img_id'] == 'colour.jpg'
    faces = info['instances']
    assert [f['labelled'] for f in faces] == [True, True, False]
    assert [f['bbox_label'] for f in faces] == [0, 0, 0]
    assert faces[1]['bbox'] == ann['bboxes'][1][:4]  # the 5th (flag) value is dropped
    assert faces[0]['landmarks'].shape == (68, 2) and faces[0]['landmarks'].dtype == np.float32
    assert faces[1]['landmarks'].shape == (5, 2) and faces[2]['landmarks'] is None
    np.testing.assert_allclose(faces[0]['landmarks'], ann['landmarks'][0], rtol=1e-6)

    dataset.pipeline = Compose([dict(type='LoadPoseImage'), dict(type='LoadPoseAnnotations')])
    sample = dataset[1]
    assert sample['img'].shape == (360, 480, 3)  # the grayscale JPEG as 3 channels
    assert sample['gt_num_landmarks'].tolist() == [68, 5, 0]


def test_absolute_json_paths_in_the_list(synth, tmp_path):
    list_file = synth.write(_scene_entries(synth, 1))
    absolute = tmp_path / 'absolute.txt'
    absolute.write_text(str(list_file.parent / 'scene0.json') + '\n')
    assert len(DATASETS.build(synth.dataset_cfg(absolute))) == 1


def test_bad_annotations_are_skipped_with_reasons(synth, fresh_skips):
    img, ann = synth.scene()
    nan_lm = [np.where(np.arange(68)[:, None] == 5, np.nan, ann['landmarks'][0]).tolist(),
              ann['landmarks'][1], -1]
    entries = [
        dict(name='good', image=img, ann=ann),
        dict(name='malformed', image=img, ann='{"image_path": "malformed.jpg", "bboxes": ['),
        dict(name='not_an_object', image=img, ann='[1, 2, 3]'),
        dict(name='missing_json', image=img, ann=None),
        dict(name='missing_key', image=img, ann=dict(bboxes=ann['bboxes'])),
        dict(name='bad_bboxes', image=img, ann=dict(ann, bboxes=[[1, 2, 3]] * 3)),
        dict(name='mismatch', image=img, ann=dict(ann, landmarks=ann['landmarks'][:2])),
        # per face: one invalid box (dropped), a NaN landmark, a 3x2 landmark list, a list of
        # -1 (all kept without landmarks)
        dict(name='faces', image=img, ann=dict(
            bboxes=ann['bboxes'] + [[50, 50, 40, 60], [10, 10, 30, 30], [60, 60, 90, 90]],
            landmarks=nan_lm + [ann['landmarks'][1], [[1, 2]] * 3, [[-1, -1]] * 5])),
        dict(name='missing_image', ann=ann),
        dict(name='empty_image', image=b'', ann=ann),
        dict(name='no_faces', image=img, ann=dict(bboxes=[], landmarks=[])),
        dict(name='unlabelled_only', image=img, ann=dict(bboxes=[[1, 1, 20, 20]],
                                                         landmarks=[-1])),
    ]
    list_file = synth.write(entries)
    dataset = DATASETS.build(synth.dataset_cfg(list_file,
                                               filter_cfg=dict(filter_empty_gt=True)))
    assert fresh_skips.counts == {
        'ann/malformed_json': 2, 'ann/missing_json': 1, 'ann/missing_key': 1,
        'ann/bad_bboxes': 1, 'ann/count_mismatch': 1, 'ann/invalid_box': 1,
        'ann/nan_landmarks': 1, 'ann/bad_landmarks': 1, 'image/missing': 1,
        'image/empty_file': 1, 'ann/no_faces': 1, 'ann/no_labelled_faces': 1,
        # the -1 faces of good, faces (2) and unlabelled_only (not those of skipped images)
        'ann/missing_landmarks': 4}
    names = [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))]
    assert names == ['good.jpg', 'faces.jpg']
    faces = dataset.get_data_info(1)['instances']
    assert [f['labelled'] for f in faces] == [False, True, False, False, False]
    assert [f['bbox'] for f in faces[3:]] == [[10, 10, 30, 30], [60, 60, 90, 90]]

    # test mode keeps the images without (labelled) faces
    test_set = DATASETS.build(synth.dataset_cfg(list_file, test_mode=True))
    assert len(test_set) == 4


def test_training_refetches_unusable_samples(synth, fresh_skips):
    entries = _scene_entries(synth, 1)
    entries.append(dict(name='corrupt', image=b'garbage' * 50, ann=entries[0]['ann']))
    entries.append(dict(name='truncated', image=cv2.imencode('.jpg', entries[0]['image'])[1]
                        .tobytes()[:2000], ann=entries[0]['ann']))
    list_file = synth.write(entries)
    pipeline = [dict(type='LoadPoseImage'), dict(type='LoadPoseAnnotations'),
                dict(type='PoseLabelsFromLandmarks', face_model=synth.face_model)]
    dataset = DATASETS.build(synth.dataset_cfg(list_file, pipeline=pipeline))
    np.random.seed(0)
    for index in (1, 2):  # always ends on the good image
        assert dataset[index]['img_path'].endswith('scene0.jpg')
    assert fresh_skips.counts['image/corrupt'] >= 1
    assert fresh_skips.counts['image/truncated'] >= 1

    test_set = DATASETS.build(synth.dataset_cfg(list_file, pipeline=pipeline, test_mode=True))
    with pytest.raises(Exception, match='None'):
        test_set[1]
