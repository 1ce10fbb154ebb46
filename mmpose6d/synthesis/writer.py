"""Writing rendered splits in img2pose's JSON layout, in parallel and reproducibly."""
import json
import multiprocessing
import zlib
from pathlib import Path

import cv2
import numpy as np
import torch

from mmpose6d.geometry import Camera

from .scan import SCAN_PACKAGE, SCAN_VERSION, FaceScan
from .scenes import RenderOptions, render_image

_WORKER = {}


def _init_pool_worker(scan):
    torch.set_num_threads(1)  # the processes are the parallelism; more threads only contend
    _WORKER['scan'] = scan


def _render_one(task):
    """Render and write one image, ``task = (out_dir, split, seed, options, index)``; its
    (image_path, poses)."""
    out_dir, split, seed, options, index = task
    rng = np.random.default_rng([seed, zlib.crc32(split.encode()), index])
    image, boxes, poses, labels, quality = render_image(_WORKER['scan'], rng, options)
    name = f'{split}_{index:06d}'
    image_path = f'{name}.jpg'
    cv2.imwrite(str(out_dir / split / 'images' / image_path), image,
                [cv2.IMWRITE_JPEG_QUALITY, quality])
    record = {'image_path': image_path, 'bboxes': boxes.tolist(),
              'landmarks': [lm.tolist() for lm in labels]}
    with open(out_dir / 'annotations' / split / f'{name}.json', 'w') as f:
        json.dump(record, f)
    return image_path, poses.tolist()


class RenderPool:
    """``workers`` spawned processes holding ``scan``, started at the first :meth:`map` and
    shared by the :func:`generate_dataset` calls given it (each split would otherwise start
    its own, at a few seconds of imports each). Use as a context manager."""

    def __init__(self, workers, scan):
        self.workers, self.scan, self._pool = workers, scan, None

    def map(self, tasks):
        """:func:`_render_one` of each task, in order."""
        if self._pool is None:
            self._pool = multiprocessing.get_context('spawn').Pool(
                self.workers, _init_pool_worker, (self.scan, ))
        return self._pool.map(_render_one, tasks, chunksize=4)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


def camera_file(out_dir, split):
    """Where :func:`generate_dataset` writes the camera of a split rendered with
    ``RenderOptions.camera`` (JSON, :meth:`mmpose6d.geometry.Camera.from_file` reads it)."""
    return Path(out_dir) / 'annotations' / f'{split}_camera.json'


def split_files(out_dir, split):
    """The split-level outputs of :func:`generate_dataset`: list file, render poses, meta."""
    ann = Path(out_dir) / 'annotations'
    return (ann / f'{split}_annotations.txt', ann / f'{split}_render_poses.json',
            ann / f'{split}_render_meta.json')


def _complete(out_dir, split, meta):
    """Whether ``split`` was already generated with the same ``meta`` and all its files
    exist."""
    list_file, poses_file, meta_file = split_files(out_dir, split)
    if not (meta_file.is_file() and list_file.is_file() and poses_file.is_file()):
        return False
    with open(meta_file) as f:
        if json.load(f) != meta:
            return False
    ann = list_file.parent
    jsons = [ann / line for line in list_file.read_text().split()]
    images = Path(out_dir) / split / 'images'
    return len(jsons) == meta['num_images'] and all(p.is_file() for p in jsons) and all(
        (images / f'{p.stem}.jpg').is_file() for p in jsons)


def generate_dataset(out_dir, split, num_images, image_size=640, seed=0, workers=1,
                     scan=None, cache_dir='data/cache', pool=None, **options):
    """Render ``num_images`` images of ``split`` into ``out_dir`` in img2pose's JSON format.

    Writes ``<split>/images/<name>.jpg``, ``annotations/<split>/<name>.json``
    (``image_path``, silhouette ``bboxes``, ``landmarks``: 68 or 5 points, or 5 x -1, all
    seen by the image's camera),
    the list file ``annotations/<split>_annotations.txt``, the exact global poses
    ``annotations/<split>_render_poses.json`` (``{image_path: [[rx,ry,rz,tx,ty,tz], ...]}`` in
    box order), ``annotations/<split>_render_meta.json`` (the arguments; a later call with the
    same ones returns at once), with ``camera=(width, height, fx, fy, cx, cy)`` the camera
    the split was rendered in (:func:`camera_file`) and, per ``out_dir``, the scan's own
    ``scan_ref68.npy`` and ``scan_ref5.npy``. Image i of a split depends only on (seed,
    split, i), whatever ``workers``. ``pool``: a :class:`RenderPool` (of this ``scan``) to
    render in instead of ``workers`` processes of its own. ``options`` are
    :class:`RenderOptions` fields. Returns ``{'images', 'faces', 'skipped'}``.
    """
    out_dir = Path(out_dir)
    opts = RenderOptions(image_size=image_size, **options)
    # no camera, no meta entry: splits rendered before RenderOptions had one stay complete
    meta = {'split': split, 'num_images': num_images, 'seed': seed,
            'scan': f'{SCAN_PACKAGE}-{SCAN_VERSION}/james',
            **{k: v for k, v in vars(opts).items() if not (k == 'camera' and v is None)}}
    meta = json.loads(json.dumps(meta))  # tuples as lists, as read back
    list_file, poses_file, meta_file = split_files(out_dir, split)
    if _complete(out_dir, split, meta):
        with open(poses_file) as f:
            poses = json.load(f)
        return {'images': num_images, 'faces': sum(map(len, poses.values())), 'skipped': True}
    scan = scan if scan is not None else FaceScan.fetch(cache_dir)
    (out_dir / split / 'images').mkdir(parents=True, exist_ok=True)
    (out_dir / 'annotations' / split).mkdir(parents=True, exist_ok=True)
    meta_file.unlink(missing_ok=True)
    np.save(out_dir / 'scan_ref68.npy', scan.landmarks68)
    np.save(out_dir / 'scan_ref5.npy', scan.landmarks5)
    if opts.camera is not None:
        width, height, fx, fy, cx, cy = opts.camera
        Camera.from_intrinsics(fx, fy, cx, cy, image_size=(width, height)).save(
            camera_file(out_dir, split))
    tasks = [(out_dir, split, seed, opts, index) for index in range(num_images)]
    if pool is not None:
        results = pool.map(tasks)
    elif workers > 1:
        with RenderPool(workers, scan) as own:
            results = own.map(tasks)
    else:
        _WORKER['scan'] = scan
        results = [_render_one(task) for task in tasks]
    list_file.write_text(''.join(f'{split}/{Path(p).stem}.json\n' for p, _ in results))
    with open(poses_file, 'w') as f:
        json.dump(dict(results), f)
    with open(meta_file, 'w') as f:
        json.dump(meta, f, indent=1)
    return {'images': num_images, 'faces': sum(len(p) for _, p in results), 'skipped': False}
