"""Face detection with 6DoF poses on images, folders and arrays: mmdet's inferencer for
img2pose, with Euler angles, projected landmarks and aligned face crops."""
import logging
import os.path as osp
import warnings

import mmcv
import mmengine
import numpy as np
from mmdet.apis import DetInferencer
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.runner.checkpoint import load_state_dict
from rich.progress import track

from ..datasets.image_io import bytes_problem, decode_image, read_image_bytes
from ..datasets.transforms import POSE_META_KEYS
from ..utils.checkpoint import checkpoint_loading, read_checkpoint
from ..utils.checkpoint_fit import check_fits_model, state_dict_of
from ..utils.face_alignment import align_faces
from .face_stream import FaceStream

#: test-pipeline steps that read annotations; inference has none, so they are dropped
_ANNOTATION_STEPS = ('LoadAnnotations', 'LoadPoseAnnotations', 'PoseLabelsFromLandmarks',
                     'BoxesFromPoses')
_LOADERS = ('LoadImageFromFile', 'LoadPoseImage')
#: the per-face outputs of a model with a ``camera`` (poses in that camera, metric distance)
CAMERA_KEYS = ('camera_poses', 'camera_euler', 'translation_mm', 'distance_mm')


def _type_name(step):
    """The bare class name of a pipeline step's type (``'mmdet.Resize'`` -> ``'Resize'``)."""
    kind = step['type']
    return getattr(kind, '__name__', str(kind)).split('.')[-1]


class Img2PoseInferencer(DetInferencer):
    """Detect faces and their 6DoF poses with an img2pose model.

    Args:
        model: a config file, ``Config`` or dict (None: the config saved in ``weights``).
        weights: the checkpoint (None: a randomly initialised model, with a warning).
        device: e.g. ``'cpu'`` or ``'cuda:0'`` (None: CUDA when available).
        show_progress: show a progress bar over the batches.
        trust_checkpoint: unpickle ``weights`` fully if it holds more than tensors and
            mmengine's training state; that runs any code stored in the file, so only for
            files you trust. Without it such a file is refused.
        inference_dtype: ``'bfloat16'`` or ``'float16'`` to run the network under autocast
            of that dtype (:class:`~mmpose6d.models.Img2Pose`'s ``inference_dtype``, e.g.
            bfloat16 on a CPU with bfloat16 instructions); None keeps the config's.
        camera: the camera that took the images (a :class:`~mmpose6d.geometry.Camera`, a
            dict such as ``dict(fx=, fy=, cx=, cy=, distortion=[...])`` or
            ``dict(file=...)``, ``(fx, fy, cx, cy)`` or an OpenCV calibration file path):
            each face then also gets its pose in that camera and its metric distance
            (:class:`~mmpose6d.models.Img2Pose`'s ``camera``); None keeps the config's.
        ipd_mm: the interpupillary distance (mm) the metric outputs assume (the model's
            ``ipd_mm``; None keeps the config's, by default the adult mean 63.36 mm).

    ``weights`` must fit the model: missing keys (other than the pose head's config buffers),
    unexpected keys or other shapes raise a
    :class:`~mmpose6d.utils.checkpoint.CheckpointError` naming the file and the keys, as a
    damaged file does.

    Calling it returns ``dict(predictions=[...], visualization=[...] or [], crops=[...],
    skipped=[...])`` with one prediction dict per readable input image (see
    :meth:`pred2dict`), the drawn RGB images with ``return_vis``, (N,112,112,3) BGR face
    crops per image with ``return_crops``, and ``(path, reason)`` of each image file that
    could not be read or decoded (skipped with a warning naming it). Example::

        inferencer = Img2PoseInferencer('configs/img2pose/r18_fpn_wider.py', 'model.pth')
        result = inferencer('photos/', batch_size=4, out_dir='out', no_save_pred=False,
                            return_crops=True, pred_score_thr=0.5)
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'draw_pred', 'no_save_vis'}
    postprocess_kwargs: set = {
        'print_result', 'return_datasamples', 'no_save_pred', 'return_points5', 'return_crops',
        'crop_out_dir', 'crop_size'
    }

    def __init__(self, model=None, weights=None, device=None, palette='none',
                 show_progress=True, trust_checkpoint=False, inference_dtype=None,
                 camera=None, ipd_mm=None):
        self.num_array_inputs = 0
        self.skipped = []
        self.weights = weights
        if weights is not None and '://' not in str(weights):
            read_checkpoint(weights, trust_checkpoint, mmap=True)  # one clear line if damaged
        with checkpoint_loading(trust_checkpoint):
            super().__init__(model=model, weights=weights, device=device, scope='mmpose6d',
                             palette=palette, show_progress=show_progress)
        if inference_dtype is not None:
            self.model.inference_dtype = inference_dtype
        if camera is not None:
            self.model.camera = camera
        if ipd_mm is not None:
            self.model.ipd_mm = ipd_mm

    def _load_weights_to_model(self, model, checkpoint, cfg):
        """Weights (which must fit the model) and class names from the checkpoint; one
        'face' class by default."""
        if checkpoint is None:
            warnings.warn('no weights given: the predictions come from a randomly '
                          'initialised model')
            meta = {}
        else:
            state_dict = state_dict_of(checkpoint, self.weights)
            check_fits_model(model, state_dict, self.weights)
            load_state_dict(model, state_dict, logger='current')
            meta = checkpoint.get('meta', {}).get('dataset_meta', {})
        model.dataset_meta = {k.lower(): v for k, v in meta.items()} or {'classes': ('face', )}
        if self.palette != 'none':
            model.dataset_meta['palette'] = self.palette
        model.dataset_meta.setdefault('palette', [(66, 165, 245)])

    def _init_pipeline(self, cfg):
        """The config's test pipeline reading inputs with mmdet's ``InferencerLoader`` (paths
        or arrays), without the annotation steps. The loader is built in mmdet's scope, so it
        reads files with mmcv's ``LoadImageFromFile``, which raises for an image it cannot
        decode (:meth:`_pipeline_or_skip` names it)."""
        if 'test_dataloader' in cfg:
            steps = cfg.test_dataloader.dataset.pipeline
        elif 'test_pipeline' in cfg:
            steps = cfg.test_pipeline
        else:
            raise ValueError('the config has neither test_dataloader.dataset.pipeline nor '
                             'test_pipeline: the inferencer needs the test pipeline')
        steps = [dict(s) for s in steps if _type_name(s) not in _ANNOTATION_STEPS]
        loaders = [i for i, s in enumerate(steps) if _type_name(s) in _LOADERS]
        if not loaders:
            raise ValueError(f'the test pipeline has no image loader ({" or ".join(_LOADERS)})')
        steps[loaders[0]].update(type='mmdet.InferencerLoader', _scope_='mmdet')
        last = steps[-1]
        if 'meta_keys' in last or _type_name(last) == 'PackPoseDetInputs':  # no img_id here
            last['meta_keys'] = tuple(k for k in last.get('meta_keys', POSE_META_KEYS)
                                      if k != 'img_id')
        return Compose(steps)

    def _init_visualizer(self, cfg):
        """An :class:`Img2PoseLocalVisualizer` (also for configs naming mmdet's plain one)
        drawing with the model's own face model. The inferencer writes its pictures itself:
        the config's storage backends (a training run's, without a folder) are left out."""
        vis_cfg = dict(cfg.get('visualizer') or {}, vis_backends=None)
        if vis_cfg.get('type') in (None, 'DetLocalVisualizer', 'mmdet.DetLocalVisualizer'):
            vis_cfg['type'] = 'Img2PoseLocalVisualizer'
        cfg.visualizer = vis_cfg
        visualizer = super()._init_visualizer(cfg)
        visualizer.set_face_model(self.model.face_model)
        return visualizer

    def _init_collate(self, cfg):
        """mmengine's ``pseudo_collate`` (the model's data preprocessor batches); mmpose6d
        has no function registry for a config's ``collate_fn`` to name."""
        return pseudo_collate

    def _inputs_to_list(self, inputs):
        """A list of inputs; a folder's images in sorted order."""
        items = super()._inputs_to_list(inputs)
        return sorted(items) if isinstance(inputs, str) else items

    def _get_chunk_data(self, inputs, chunk_size):
        """Batches of ``(input, pipeline output)`` without the image files that cannot be
        read or decoded (see :meth:`_pipeline_or_skip`)."""
        chunk = []
        for item in inputs:
            data = self._pipeline_or_skip(item)
            if data is not None:
                chunk.append((item, data))
            if len(chunk) == chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _pipeline_or_skip(self, item):
        """The pipeline's output of one input, or None for an image file that is missing,
        empty, truncated or corrupt: warned with its name and reason, kept in
        ``self.skipped``. Other pipeline errors are raised."""
        if not isinstance(item, str):
            return self.pipeline(item)
        data, reason = read_image_bytes(item)
        reason = reason or bytes_problem(data)
        if not reason:
            try:
                return self.pipeline(item)
            except Exception:
                reason = decode_image(data)[1]
                if not reason:
                    raise
        self.skipped.append((item, reason))
        print_log(f'{item}: image skipped ({reason})', logger='current', level=logging.WARNING)
        return None

    def _names(self, inputs):
        """Output file stems: a path's file name without extension, an array's running
        8-digit number (as mmdet's inferencer numbers them)."""
        names = []
        for item in inputs:
            if isinstance(item, str):
                names.append(osp.splitext(osp.basename(item))[0])
            else:
                names.append(f'{self.num_array_inputs:08d}')
                self.num_array_inputs += 1
        return names

    def __call__(self,
                 inputs,
                 batch_size=1,
                 return_vis=False,
                 show=False,
                 wait_time=0,
                 no_save_vis=False,
                 draw_pred=True,
                 pred_score_thr=0.3,
                 return_datasamples=False,
                 print_result=False,
                 no_save_pred=True,
                 out_dir='',
                 return_points5=False,
                 return_crops=False,
                 save_crops=False,
                 crop_size=112):
        """Run on ``inputs``: an image path, a folder, a BGR array, or a list of these.

        Faces scoring at most ``pred_score_thr`` are dropped from everything returned and
        written. With ``out_dir``: drawn images go to ``out_dir/vis/`` (unless
        ``no_save_vis``), JSON predictions to ``out_dir/preds/<name>.json`` (unless
        ``no_save_pred``, True by default as in mmdet) and, with ``save_crops``, aligned
        face crops to ``out_dir/crops/<name>_<face>.png``. ``return_points5`` adds the 5
        projected points to each prediction.
        """
        if save_crops and not out_dir:
            raise ValueError('save_crops=True needs an out_dir to write the crops to')
        inputs = self._inputs_to_list(inputs)
        need_images = bool(return_vis or show or return_crops or save_crops or
                           (out_dir and not no_save_vis))
        results = dict(predictions=[], visualization=[], crops=[])
        self.skipped = []
        batches = self.preprocess(inputs, batch_size=batch_size)
        for ori_inputs, data in (track(batches, description='Inference')
                                 if self.show_progress else batches):
            batch_names = self._names(ori_inputs)
            preds = [self._filter(p, pred_score_thr) for p in self.forward(data)]
            images = [self._read_bgr(x) for x in ori_inputs] if need_images else None
            vis = self.visualize(images, preds, batch_names, return_vis=return_vis,
                                 show=show, wait_time=wait_time, draw_pred=draw_pred,
                                 no_save_vis=no_save_vis, img_out_dir=out_dir)
            out = self.postprocess(preds, vis, images, batch_names,
                                   return_datasamples=return_datasamples,
                                   print_result=print_result, no_save_pred=no_save_pred,
                                   pred_out_dir=out_dir, return_points5=return_points5,
                                   return_crops=return_crops,
                                   crop_out_dir=out_dir if save_crops else '',
                                   crop_size=crop_size)
            results['predictions'].extend(out['predictions'])
            results['visualization'].extend(out['visualization'] or [])
            results['crops'].extend(out['crops'] or [])
        results['skipped'] = list(self.skipped)
        if self.skipped:
            print_log(f'{len(self.skipped)} of {len(inputs)} inputs skipped (unreadable '
                      'images, named above)', logger='current', level=logging.WARNING)
        return results

    @staticmethod
    def _filter(pred, score_thr):
        pred.pred_instances = pred.pred_instances[pred.pred_instances.scores > score_thr]
        return pred

    @staticmethod
    def _read_bgr(item):
        """The original BGR image of an input (path or array)."""
        if isinstance(item, np.ndarray):
            return item
        img = mmcv.imfrombytes(mmengine.fileio.get(item))
        if img is None:
            raise ValueError(f'{item}: cannot decode the image')
        return img

    def visualize(self, images, preds, names, return_vis=False, show=False, wait_time=0,
                  draw_pred=True, no_save_vis=False, img_out_dir=''):
        """Draw the (already score-filtered) predictions; RGB images with ``return_vis``."""
        out_dir = '' if no_save_vis else img_out_dir
        if not (show or out_dir or return_vis):
            return None
        drawn = []
        for img, pred, name in zip(images, preds, names):
            suffix = osp.splitext(pred.img_path)[1] if pred.get('img_path') else '.jpg'
            out_file = osp.join(out_dir, 'vis', name + suffix) if out_dir else None
            self.visualizer.add_datasample(name, img[..., ::-1], pred, show=show,
                                           wait_time=wait_time, draw_gt=False,
                                           draw_pred=draw_pred, pred_score_thr=-np.inf,
                                           out_file=out_file)
            drawn.append(self.visualizer.get_image())
        return drawn if return_vis else None

    def postprocess(self, preds, visualization=None, images=None, names=(),
                    return_datasamples=False, print_result=False, no_save_pred=True,
                    pred_out_dir='', return_points5=False, return_crops=False,
                    crop_out_dir='', crop_size=112):
        """Prediction dicts (or the data samples), JSON files under ``pred_out_dir/preds``,
        and aligned face crops (returned, and written under ``crop_out_dir/crops``)."""
        pred_out_dir = '' if no_save_pred else pred_out_dir
        faces = [self.face_outputs(p) for p in preds]
        dicts = [self.pred2dict(f, return_points5) for f in faces]
        if pred_out_dir:
            for name, d in zip(names, dicts):
                mmengine.dump(d, osp.join(pred_out_dir, 'preds', f'{name}.json'))
        crops = None
        if return_crops or crop_out_dir:
            crops = [align_faces(img, f['landmarks5'], crop_size)
                     for img, f in zip(images, faces)]
        if crop_out_dir:
            for name, image_crops in zip(names, crops):
                for i, crop in enumerate(image_crops):
                    mmcv.imwrite(crop, osp.join(crop_out_dir, 'crops', f'{name}_{i}.png'))
        result = dict(predictions=preds if return_datasamples else dicts,
                      visualization=visualization, crops=crops if return_crops else None)
        if print_result:
            print(result['predictions'])
        return result

    @staticmethod
    def face_outputs(pred):
        """Numpy outputs of one image's faces, as the model made them (in the original
        image): boxes, scores, labels, global poses (N,6), Euler angles (N,3) pitch/yaw/roll
        in degrees, the projected 68 and 5 reference points (N,68,2), (N,5,2) and, with a
        camera, :data:`CAMERA_KEYS`."""
        inst = pred.pred_instances.cpu().numpy()
        height, width = pred.ori_shape
        return dict(ori_shape=(int(height), int(width)), bboxes=inst.bboxes,
                    scores=inst.scores, labels=inst.labels, poses=inst.poses,
                    euler=inst.euler, landmarks=inst.landmarks, landmarks5=inst.landmarks5,
                    **{k: inst[k] for k in CAMERA_KEYS if k in inst})

    @staticmethod
    def pred2dict(faces, return_points5=False):
        """JSON-ready prediction of one image (lists): ``ori_shape`` [h, w], ``bboxes``
        (N,4), ``scores``, ``labels``, ``poses`` (N,6) ``[rx, ry, rz, tx, ty, tz]`` in the
        camera ``image_intrinsics(w, h)``, ``euler`` (N,3) pitch/yaw/roll in degrees,
        ``landmarks`` (N,68,2), with ``return_points5`` ``landmarks5`` (N,5,2) and, with a
        camera, in that camera: ``camera_poses`` (N,6), ``camera_euler`` (N,3),
        ``translation_mm`` (N,3) and ``distance_mm`` (N,), the distance from the camera
        centre to the face's reference origin, the reference scaled to the model's
        ``ipd_mm``."""
        keys = ['ori_shape', 'bboxes', 'scores', 'labels', 'poses', 'euler', 'landmarks']
        keys += ['landmarks5'] if return_points5 else []
        keys += [k for k in CAMERA_KEYS if k in faces]
        return {k: np.asarray(faces[k]).tolist() for k in keys}

    def stream(self, pred_score_thr=0.5, smooth=True, fps=30.0, **tracker_args):
        """A :class:`~mmpose6d.apis.FaceStream` of this inferencer for one video: frames
        (BGR arrays) in one at a time, with optional timestamps (seconds); each frame's
        faces out with track IDs, raw and smoothed poses, continuous Euler angles, boxes,
        scores and the landmarks of the smoothed pose. ``smooth=False`` tracks without
        smoothing; ``fps`` times frames given without timestamps; ``tracker_args`` go to
        :class:`~mmpose6d.tracking.FaceTracker` (filters, gates, ``max_misses``,
        ``new_track_score``, ``pose_keys``). Example::

            stream = inferencer.stream(pred_score_thr=0.5)
            for frame in frames:
                faces = stream(frame)   # faces['track_ids'], faces['smoothed_poses'], ...
        """
        return FaceStream(self, pred_score_thr=pred_score_thr, smooth=smooth, fps=fps,
                          **tracker_args)
