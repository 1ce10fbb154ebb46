"""img2pose face datasets: the JSON annotation format and its LMDB conversion."""
import os
import os.path as osp

from mmdet.datasets import BaseDetDataset
from mmengine.logging import MMLogger

from mmpose6d.registry import DATASETS

from .img2pose_format import iter_json_records, raw_image_path, record_instances
from .lmdb_store import img_key, iter_lmdb_records, open_lmdb
from .skip_counter import SKIPS, format_counts

#: one class, and the colour the visualizers draw it in (mmdet warns without a palette)
FACE_METAINFO = dict(classes=('face', ), palette=[(66, 165, 245)])


@DATASETS.register_module()
class Img2PoseDataset(BaseDetDataset):
    """Faces with boxes and 5/68 landmarks in the img2pose JSON format.

    ``ann_file`` is the list file of JSON paths (relative to its folder), ``data_prefix['img']``
    the folder the JSONs' ``image_path`` are relative to. Each instance is
    ``dict(bbox, bbox_label=0, ignore_flag=0, landmarks=(P,2) float32 or None, labelled)``.
    Bad files and faces are skipped with a counted reason (see
    :mod:`mmpose6d.datasets.skip_counter`) and summarised in the log once. With
    ``check_images`` missing and 0-byte image files are skipped at load time; in training,
    ``filter_cfg=dict(filter_empty_gt=True)`` drops images without a labelled face.
    """

    METAINFO = FACE_METAINFO

    def __init__(self, *args, check_images=True, **kwargs):
        self.check_images = check_images
        super().__init__(*args, **kwargs)

    def _iter_records(self):
        """(key, source name, validated record) of each usable entry."""
        return iter_json_records(self.ann_file,
                                 self._image_file_ok if self.check_images else None)

    def load_data_list(self):
        self._skips_at_load = SKIPS.snapshot()
        return [
            dict(img_path=self._img_path(record), img_id=record['image_path'], key=key,
                 ann_path=source, instances=record_instances(record))
            for key, source, record in self._iter_records()
        ]

    def _img_path(self, raw):
        return osp.join(self.data_prefix.get('img', ''), raw_image_path(raw))

    def _image_file_ok(self, raw, source):
        """Whether a local image file exists and is not empty (remote backends: assumed).
        Annotations without an image path pass, to fail parsing with their own reason."""
        if self.backend_args is not None or raw_image_path(raw) is None:
            return True
        img_path = self._img_path(raw)
        try:
            reason = '' if os.path.getsize(img_path) else 'image/empty_file'
        except OSError:
            reason = 'image/missing'
        if reason:
            SKIPS.add(reason, f'{source}: image {img_path} skipped ({reason})')
        return not reason

    def filter_data(self):
        """In training with ``filter_empty_gt``, drop images without a labelled face; then log
        what loading skipped."""
        data_list = self.data_list
        if not self.test_mode and (self.filter_cfg or {}).get('filter_empty_gt', False):
            kept = []
            for info in data_list:
                faces = info['instances']
                reason = ('ann/no_faces' if not faces else '' if any(
                    f['labelled'] for f in faces) else 'ann/no_labelled_faces')
                if reason:
                    SKIPS.add(reason, f'{info["ann_path"]}: image skipped in training '
                              f'({reason})')
                else:
                    kept.append(info)
            data_list = kept
        faces = sum(len(info['instances']) for info in data_list)
        labelled = sum(f['labelled'] for info in data_list for f in info['instances'])
        MMLogger.get_current_instance().info(
            f'{type(self).__name__}({self.ann_file}): {len(data_list)} images, {faces} faces '
            f'({labelled} labelled); skipped: {format_counts(SKIPS.since(self._skips_at_load))}')
        return data_list


@DATASETS.register_module()
class Img2PoseLMDBDataset(Img2PoseDataset):
    """:class:`Img2PoseDataset` read from an LMDB written by
    ``tools/dataset_converters/img2pose_to_lmdb.py`` (``ann_file`` = the LMDB folder).

    Annotations are read once at load time. Image bytes are read per sample into
    ``img_bytes`` and decoded by the :class:`LoadPoseImage` transform. The environment is
    opened lazily, read-only and without locks, once per process (``os.getpid()``) and kept
    outside the dataset (:func:`open_lmdb`), so the dataset pickles without it and is safe in
    DataLoader workers (forked or spawned) and distributed ranks.
    ``data_prefix['img']`` only prefixes ``img_path`` (for logs and metrics).
    """

    def __init__(self, *args, **kwargs):
        kwargs['check_images'] = False  # validated by the converter
        super().__init__(*args, **kwargs)

    def _iter_records(self):
        return iter_lmdb_records(self.ann_file)

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        with open_lmdb(self.ann_file).begin() as txn:
            info['img_bytes'] = txn.get(img_key(info['key']))
        return self.pipeline(info)
