"""The img2pose LMDB: validated annotations and encoded image bytes, keyed by list index.

Layout (one LMDB environment, a folder):

- ``ann/<index>``: the validated annotation in the img2pose JSON format
  (:func:`record_to_json`), ``<index>`` the zero-padded line index in the list file;
- ``img/<index>``: the image file's bytes (JPEG/PNG kept as they are, other formats
  re-encoded as PNG);
- ``__meta__``: JSON with the source list, the next index to convert, whether the conversion
  is complete, the skip counts and the counts of faces written with a box or landmarks
  outside their image (``outside``). It is committed in the same transaction as each batch,
  so a killed conversion resumes where its last batch ended, and entries never duplicate.
"""
import hashlib
import json
import os
from pathlib import Path

import lmdb
import numpy as np
from tqdm import tqdm

from .image_io import decode_image, portable_bytes, read_image_bytes
from .img2pose_format import (load_json, parse_record, raw_image_path, read_list_file,
                              record_to_json)
from .skip_counter import SKIPS, AnnotationError, SkipCounter, counted

#: Faces written with a box (``outside/box``) or landmarks (``outside/landmarks``) beyond
#: their image: kept as annotated (training clips, drops or masks them), but reported.
OUTSIDE = SkipCounter(label='written as is')

META_KEY = b'__meta__'
FORMAT = 'mmpose6d-img2pose-lmdb-v1'
ANN_PREFIX = b'ann/'


def ann_key(index):
    return b'ann/%09d' % index


def img_key(index):
    return b'img/%09d' % index


#: Read-only environments of this process: {resolved path: (pid, environment)}.
_ENVS = {}


def open_lmdb(path):
    """The read-only, lock-free environment of ``path`` for this process, opened on first use
    and shared by every reader in the process (LMDB forbids opening one twice). After a fork
    the inherited handle is closed, never used, and the child opens its own."""
    key = str(Path(path).resolve())
    pid, env = _ENVS.get(key, (None, None))
    if pid != os.getpid():
        if env is not None:
            env.close()
        if not (Path(key) / 'data.mdb').is_file():
            raise FileNotFoundError(f'no LMDB at {path} (expected {path}/data.mdb, written by '
                                    'tools/dataset_converters/img2pose_to_lmdb.py)')
        env = lmdb.open(key, readonly=True, lock=False, readahead=False, meminit=False,
                        max_readers=1024)
        _ENVS[key] = os.getpid(), env
    return env


def close_lmdb(path):
    """Close this process's read-only environment of ``path``, if open."""
    _, env = _ENVS.pop(str(Path(path).resolve()), (None, None))
    if env is not None:
        env.close()


def read_meta(txn, path=''):
    raw = txn.get(META_KEY)
    meta = json.loads(raw) if raw else None
    if meta is not None and meta.get('format') != FORMAT:
        raise ValueError(f'{path}: not an img2pose LMDB of format {FORMAT}')
    return meta


def iter_annotations(env, path=''):
    """(index, raw annotation dict) of every entry, in index order; refuses an unfinished
    conversion."""
    with env.begin() as txn:
        meta = read_meta(txn, path)
        if meta is None or not meta['complete']:
            done = 0 if meta is None else meta['next']
            total = '?' if meta is None else meta['num_inputs']
            raise RuntimeError(f'{path}: LMDB conversion unfinished ({done} of {total} inputs);'
                               ' re-run img2pose_to_lmdb.py to resume it')
        cursor = txn.cursor()
        if not cursor.set_range(ANN_PREFIX):
            return
        for key, value in cursor:
            if not key.startswith(ANN_PREFIX):
                break
            yield int(key[len(ANN_PREFIX):]), json.loads(value)


def iter_lmdb_records(path):
    """(index, source name, validated record) of every entry of a finished LMDB."""
    for index, raw in iter_annotations(open_lmdb(path), path):
        record = counted(parse_record, raw, f'{path}:{index}')
        if record is not None:
            yield index, f'{path}:{index}', record


def count_outside(record, height, width, source):
    """Count in :data:`OUTSIDE` the faces of ``record`` whose box or landmarks reach beyond
    the ``width`` x ``height`` image, naming ``source``, the faces and the distance."""
    boxes = record['bboxes']
    beyond = np.maximum.reduce([-boxes[:, 0], -boxes[:, 1], boxes[:, 2] - width,
                                boxes[:, 3] - height]) if len(boxes) else np.zeros(0)
    faces = np.flatnonzero(beyond > 0)
    if len(faces):
        OUTSIDE.add('outside/box', f'{source}: face(s) {faces.tolist()} box up to '
                    f'{beyond.max():.0f} px beyond the {width}x{height} image', len(faces))
    beyond = np.array([0.0 if points is None else max(
        (-points).max(), (points - [width, height]).max()) for points in record['landmarks']])
    faces = np.flatnonzero(beyond > 0)
    if len(faces):
        OUTSIDE.add('outside/landmarks', f'{source}: face(s) {faces.tolist()} landmarks up to '
                    f'{beyond.max():.0f} px beyond the {width}x{height} image', len(faces))


def _convert_one(json_path, img_root):
    """(annotation JSON bytes, image bytes) of one list entry; AnnotationError when skipped.
    The image is checked first, so faces of skipped images are not counted."""
    raw = load_json(json_path)
    data = img = None
    if raw_image_path(raw) is not None:
        img_path = Path(img_root) / raw_image_path(raw)
        data, reason = read_image_bytes(img_path)
        img, reason = (None, reason) if reason else decode_image(data)
        if img is None:
            raise AnnotationError(reason, f'{json_path}: image {img_path} unusable ({reason})')
    record = parse_record(raw, json_path)
    count_outside(record, *img.shape[:2], json_path)
    return json.dumps(record_to_json(record)).encode(), portable_bytes(data, img)


def _commit(env, puts, meta):
    """Write ``puts`` and ``meta`` in one transaction, doubling the map size while full."""
    while True:
        try:
            with env.begin(write=True) as txn:
                for key, value in puts:
                    txn.put(key, value)
                txn.put(META_KEY, json.dumps(meta).encode())
            return
        except lmdb.MapFullError:
            env.set_mapsize(env.info()['map_size'] * 2)


def convert_to_lmdb(ann_list, img_root, out_path, limit=None, commit_every=256,
                    map_size=1 << 30, progress=True):
    """Convert (or resume converting) an img2pose list file to an LMDB; returns the meta.

    Every entry is validated as it goes (annotation parsing, image decoding); skipped ones are
    counted by reason in the meta, faces with a box or landmarks outside their image in its
    ``outside``. ``limit`` caps the number of list entries handled in this run (a partial
    conversion that a later run resumes).
    """
    paths = read_list_file(ann_list)
    list_sha1 = hashlib.sha1(Path(ann_list).read_bytes()).hexdigest()
    Path(out_path).mkdir(parents=True, exist_ok=True)
    close_lmdb(out_path)  # a reader of this process would block the writer
    env = lmdb.open(str(out_path), map_size=map_size, subdir=True)
    try:
        with env.begin() as txn:
            meta = read_meta(txn, out_path)
        if meta is None:
            meta = dict(format=FORMAT, ann_list=str(Path(ann_list).resolve()),
                        list_sha1=list_sha1, num_inputs=len(paths), next=0, num_entries=0,
                        complete=False, skipped={}, outside={})
        elif meta['list_sha1'] != list_sha1:
            raise ValueError(f'{out_path} was converted from another annotation list '
                             f'({meta["ann_list"]}); remove it or choose another output')
        meta.setdefault('outside', {})  # LMDBs begun before it was counted
        start = meta['next']
        stop = len(paths) if limit is None else min(len(paths), start + limit)
        puts, snapshots = [], (SKIPS.snapshot(), OUTSIDE.snapshot())
        for index in tqdm(range(start, stop), initial=start, total=len(paths),
                          desc='img2pose -> LMDB', disable=not progress):
            entry = counted(_convert_one, paths[index], img_root)
            if entry is not None:
                puts += [(ann_key(index), entry[0]), (img_key(index), entry[1])]
            if (index + 1 - start) % commit_every == 0 or index + 1 == stop:
                skipped, outside = SKIPS.since(snapshots[0]), OUTSIDE.since(snapshots[1])
                skipped.update(meta['skipped'])
                outside.update(meta['outside'])
                meta.update(next=index + 1, num_entries=meta['num_entries'] + len(puts) // 2,
                            complete=index + 1 == len(paths), skipped=dict(skipped),
                            outside=dict(outside))
                _commit(env, puts, meta)
                puts, snapshots = [], (SKIPS.snapshot(), OUTSIDE.snapshot())
        if start == stop == len(paths) and not meta['complete']:  # an empty list
            meta['complete'] = True
            _commit(env, [], meta)
    finally:
        env.close()
    return meta
