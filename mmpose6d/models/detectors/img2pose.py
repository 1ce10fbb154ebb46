"""The img2pose detector: Faster R-CNN whose RoI head predicts a 6DoF pose per face."""

import torch
from mmdet.models.detectors import TwoStageDetector
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement, InstanceData

from mmpose6d.geometry import ADULT_IPD_MM, Camera
from mmpose6d.geometry.camera import checked_ipd_mm
from mmpose6d.ops import RoIAlign
from mmpose6d.registry import MODELS


def resolve_channels_last(channels_last):
    """``Img2Pose``'s ``channels_last`` as a bool: ``'auto'`` is True where PyTorch's CPU
    kernels use AVX-512 (``torch.backends.cpu.get_cpu_capability()``), the instruction set
    on which the channels-last layout also speeds up training."""
    if channels_last == 'auto':
        return torch.backends.cpu.get_cpu_capability().startswith('AVX512')
    if not isinstance(channels_last, bool):
        raise ValueError(f"channels_last must be True, False or 'auto', not {channels_last!r}")
    return channels_last


@MODELS.register_module()
class Img2Pose(TwoStageDetector):
    """A two-stage detector (backbone, FPN, :class:`Img2PoseRPNHead`, :class:`PoseRoIHead`).

    Predictions carry ``pred_instances.poses`` (N,6): global poses ``[rx, ry, rz, tx, ty, tz]``
    in the camera of the network input (f = w + h), besides boxes (the projected 68-point
    reference, in the original image with ``rescale``), scores and labels.

    Args:
        val_loss: None, or ``dict(train_mode=True)`` to also compute the training losses of
            every validation batch, which mmengine's ``ValLoop`` averages into the metric
            ``val_loss`` (the sum of the loss means) besides each loss, for
            ``ReduceOnPlateauLR``, ``EarlyStoppingHook`` and ``save_best``. As the
            original's validation, the loss runs with the training settings (proposal
            counts, samplers) and, with ``train_mode``, in train mode under ``no_grad``:
            the pose branch's BatchNorm then normalises with batch statistics and moves its
            running statistics. Targets are the labelled faces of the validation samples,
            their boxes projected from their poses in the network input (the training
            pipeline's ``BoxesFromPoses``); the losses are averaged over processes.
        channels_last: keep images, convolution weights and feature maps in the
            channels-last memory format, oneDNN's faster convolution layout on some CPUs
            (measured for the CPU recipe on 2 cores: with AVX-512 0.93x the train step and
            0.85x the inference time; with AVX2 only 1.19x the train step on the quick-start's
            data, inference about even), or ``'auto'``: channels-last
            where PyTorch's CPU kernels use AVX-512 (:func:`resolve_channels_last`). It
            changes no weight and no result beyond float rounding, and checkpoints load
            either way. The RoI layers must be :class:`mmpose6d.ops.RoIAlign`: mmcv's own
            read the features as NCHW-contiguous memory and would pool the wrong values.
        inference_dtype: None (float32), or ``'bfloat16'`` / ``'float16'``: ``predict`` runs
            the network (convolutions, MLPs) under ``torch.autocast`` of that dtype on the
            inputs' device, e.g. ``--cfg-options model.inference_dtype=bfloat16`` on a CPU
            with bfloat16 instructions (AVX512-BF16 or AMX; elsewhere it is emulated and
            slower, and a warning says so). Proposal boxes, RoI coordinates, pooling and all
            pose geometry stay in float32 / float64; scores and poses come from the
            half-precision network, so they differ from float32's (measured by
            ``tools/analysis_tools/benchmark_precision.py``). Training is unaffected (see
            ``--amp``).
        camera: None, or the user's camera (:meth:`mmpose6d.geometry.Camera.build`: a
            ``Camera``, ``dict(fx=, fy=, cx=, cy=[, distortion=[...]][, image_size=(w, h)])``,
            ``dict(file='calib.yml')``, ``(fx, fy, cx, cy)`` or a calibration file), the camera
            that took the images; settable on a built model (the inferencer's ``camera``).
            ``predict`` then adds to each sample's ``pred_instances`` the faces' poses in that
            camera (:meth:`~mmpose6d.geometry.FaceModel.camera_outputs`): ``camera_poses``
            (N,6) solved from the predicted ``landmarks`` (undistorted) with that camera,
            ``camera_euler`` (N,3), ``translation_mm`` (N,3) and ``distance_mm`` (N,). The
            images and every other output are unchanged: only their interpretation is.
        ipd_mm: the interpupillary distance in millimetres the face model is scaled to for
            ``translation_mm`` / ``distance_mm``: the adult mean
            (:data:`~mmpose6d.geometry.ADULT_IPD_MM`, Dodgson 2004) by default, whose spread
            makes the distances uncertain by about 6 %; the subject's own when known.
        **kwargs: :class:`~mmdet.models.TwoStageDetector`'s arguments.
    """

    def __init__(self, *args, val_loss=None, channels_last=False, inference_dtype=None,
                 camera=None, ipd_mm=ADULT_IPD_MM, **kwargs):
        super().__init__(*args, **kwargs)
        self._warned_emulated_bf16 = False
        self.inference_dtype = inference_dtype
        self.camera = camera
        self.ipd_mm = ipd_mm
        self.val_loss = val_loss
        self.channels_last = channels_last = resolve_channels_last(channels_last)
        if channels_last:
            layers = getattr(self.roi_head.bbox_roi_extractor, 'roi_layers', [])
            foreign = [type(layer).__name__ for layer in layers
                       if not isinstance(layer, RoIAlign)]
            if foreign or not layers:
                raise ValueError(
                    f'channels_last=True needs mmpose6d.ops.RoIAlign RoI layers (in '
                    f'OpsRoIExtractor), not {foreign or "none"}: they read channels-last '
                    'features, mmcv\'s layers read them as NCHW and pool wrong values')
            # in-place initialisation, load_state_dict and .to(device) keep this layout
            self.to(memory_format=torch.channels_last)

    @property
    def inference_dtype(self):
        """None, ``'bfloat16'`` or ``'float16'``: see the class; settable on a built model
        (the inferencer's ``inference_dtype``)."""
        return self._inference_dtype

    @inference_dtype.setter
    def inference_dtype(self, dtype):
        if dtype not in (None, 'bfloat16', 'float16'):
            raise ValueError(f"inference_dtype must be None, 'bfloat16' or 'float16', not "
                             f'{dtype!r}')
        self._inference_dtype = dtype

    @property
    def camera(self):
        """None or the user's :class:`~mmpose6d.geometry.Camera`: see the class; settable on
        a built model with any form ``Camera.build`` takes."""
        return self._camera

    @camera.setter
    def camera(self, camera):
        self._camera = Camera.build(camera)

    @property
    def ipd_mm(self):
        """The interpupillary distance (mm) of the metric outputs: see the class."""
        return self._ipd_mm

    @ipd_mm.setter
    def ipd_mm(self, ipd_mm):
        self._ipd_mm = checked_ipd_mm(ipd_mm)

    @property
    def face_model(self):
        """The model's :class:`~mmpose6d.geometry.FaceModel` (its pose head's): the references
        and box rule its boxes, landmarks and pose losses use."""
        return self.roi_head.pose_head.face_model

    def extract_feat(self, batch_inputs):
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(memory_format=torch.channels_last)
        return super().extract_feat(batch_inputs)

    def predict(self, batch_inputs, batch_data_samples, rescale=True):
        """``TwoStageDetector.predict``, under autocast to ``inference_dtype`` when set;
        with a ``camera``, the faces' poses in it added (:meth:`add_camera_outputs`, in full
        precision after the network)."""
        if self.camera is not None and not rescale:
            raise ValueError('camera poses are solved from the landmarks in the original '
                             'image: predict needs rescale=True')
        samples = self._predict_network(batch_inputs, batch_data_samples, rescale)
        if self.camera is not None:
            self.add_camera_outputs(samples)
        return samples

    def add_camera_outputs(self, samples):
        """Add ``camera_poses``, ``camera_euler``, ``translation_mm`` and ``distance_mm`` to
        each sample's ``pred_instances`` (faces of every sample solved together), from its
        ``landmarks`` in the original image (``ori_shape``, which must be the camera's
        image size when it has one) and its ``poses``' rotations as the start."""
        for sample in samples:
            height, width = sample.ori_shape[:2]
            self.camera.check_image_size(width, height)
        preds = [sample.pred_instances for sample in samples]
        outputs = self.face_model.camera_outputs(
            torch.cat([p.landmarks for p in preds]), torch.cat([p.poses[:, :3] for p in preds]),
            self.camera, self.ipd_mm)
        counts = [len(p) for p in preds]
        for i, pred in enumerate(preds):
            pred.set_data({k: v.split(counts)[i] for k, v in outputs.items()})

    def _predict_network(self, batch_inputs, batch_data_samples, rescale):
        if self.inference_dtype is None:
            return super().predict(batch_inputs, batch_data_samples, rescale)
        device = batch_inputs.device.type
        if (device == 'cpu' and self.inference_dtype == 'bfloat16'
                and not self._warned_emulated_bf16
                and not torch.ops.mkldnn._is_mkldnn_bf16_supported()):
            self._warned_emulated_bf16 = True
            print_log('inference_dtype=bfloat16: this CPU has no bfloat16 instructions '
                      '(AVX512-BF16 / AMX); PyTorch emulates them, slower than float32',
                      logger='current', level=30)
        with torch.autocast(device, dtype=getattr(torch, self.inference_dtype)):
            return super().predict(batch_inputs, batch_data_samples, rescale)

    def val_step(self, data):
        outputs = super().val_step(data)
        if self.val_loss is None:
            return outputs
        return list(outputs) + [BaseDataElement(loss=self.validation_loss(data))]

    def validation_loss(self, data):
        """The summed training losses of one validation batch (dict of scalar tensors),
        averaged over processes."""
        data = self.data_preprocessor(data, True)
        samples = [self._loss_targets(sample) for sample in data['data_samples']]
        was_training = self.training
        self.train(self.val_loss.get('train_mode', True))
        try:
            losses = self.loss(data['inputs'], samples)
        finally:
            self.train(was_training)
        # copies: the all-reduce works in place, and losses may share a tensor (a batch
        # without faces gives its pose losses one zero)
        losses = {k: (sum(v) if isinstance(v, list) else v).detach().clone()
                  for k, v in losses.items() if 'loss' in k}
        for value in losses.values():
            all_reduce(value, op='mean')
        return losses

    def _loss_targets(self, sample):
        """A copy of an evaluation sample whose ground truth is what training uses: the
        faces with a pose label, boxed by their projected 68-point reference in the network
        input."""
        sample = sample.clone()
        gt = sample.gt_instances
        height, width = sample.img_shape[:2]
        image_wh = gt.poses.new_tensor([width, height], dtype=torch.float64)
        boxes, targets = self.face_model.target_boxes(gt.poses.double(), image_wh)
        sample.gt_instances = InstanceData(bboxes=boxes[targets].float(),
                                           poses=gt.poses[targets], labels=gt.labels[targets])
        return sample
