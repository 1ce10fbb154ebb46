"""img2pose as one traceable module for a fixed image size, and its ONNX export.

:class:`Img2PoseExportModel` runs the model's own modules and functions where they trace
(the data preprocessor, backbone, neck, mmdet's ``delta2bbox`` with the RPN coder's
settings, the RoI extractor's ``map_roi_levels``, the RoI heads' layers and
:meth:`PoseHead.decode_faces`) and re-writes only the selection steps that do not:
Python branches on data and ``len()`` of mmdet's post-processing, and mmcv's NMS /
RoIAlign (see :mod:`.onnx_ops`). Every step follows :class:`Img2PoseRPNHead` and
:class:`PoseRoIHead`:

1. uint8 BGR image (H, W, 3) -> the model's ``DetDataPreprocessor``;
2. backbone + FPN;
3. RPN: per level the ``nms_pre`` best objectness logits, deltas decoded on the anchors and
   clipped to the image, boxes narrower or lower than ``min_bbox_size`` dropped, NMS per
   level (mmcv's ``batched_nms`` level offsets), the first ``max_per_img`` proposals;
4. RoIAlign of each proposal on its FPN level (the extractor's level rule). Proposals are
   grouped by level rather than scattered back: the order is irrelevant past the final NMS;
5. RoI heads: softmax face score, ``score > score_thr`` and proposals of at least
   ``min_bbox_size``, the pose branch on those, the head's local pose -> global pose ->
   box from pose (``pose_refine_steps`` times more: RoIAlign on those boxes, the pose
   branch, pose -> box; a face whose box cannot be a RoI keeps its RoI and pose), NMS,
   the first ``max_per_img`` faces (all when it is not positive). The geometry runs in
   float32 here (float64 in PyTorch).
"""
import warnings

import torch
from mmdet.models.task_modules.coders.delta_xywh_bbox_coder import delta2bbox
from torch import nn

from .onnx_ops import nms, roi_align_boxes

OUTPUT_NAMES = ('boxes', 'scores', 'poses')


class Img2PoseExportModel(nn.Module):
    """An :class:`~mmpose6d.models.Img2Pose` for ``height`` x ``width`` uint8 BGR images.

    ``forward(image)`` with ``image`` (H, W, 3) uint8 returns ``boxes`` (N,4) float32 (the
    projected 68-point boxes, pixels), ``scores`` (N,) and ``poses`` (N,6) global
    ``[rx, ry, rz, tx, ty, tz]`` in the camera of the H x W image (f = W + H).
    """

    def __init__(self, model, height, width):
        super().__init__()
        head = model.roi_head.pose_head
        if head.num_classes != 1:
            raise ValueError(f'export supports one class (face), the model has '
                             f'{head.num_classes}')
        extractor = model.roi_head.bbox_roi_extractor
        roi_cfg = extractor.roi_layers[0]
        if roi_cfg.aligned or roi_cfg.pool_mode != 'avg' or roi_cfg.sampling_ratio <= 0:
            raise ValueError('export needs RoIAlign(aligned=False, pool_mode="avg", '
                             f'sampling_ratio > 0), the model has {roi_cfg}')
        self.model = model.eval()
        self.height, self.width = int(height), int(width)
        self.rpn_cfg = model.test_cfg.rpn
        self.rcnn_cfg = model.test_cfg.rcnn
        for cfg, name in ((self.rpn_cfg, 'rpn'), (self.rcnn_cfg, 'rcnn')):
            if cfg.nms.get('type', 'nms') != 'nms':
                raise ValueError(f'test_cfg.{name}.nms must be plain nms for export')
        with torch.no_grad():  # the anchors of this size's feature maps: constants
            feats = model.extract_feat(self.preprocess(
                torch.zeros((self.height, self.width, 3), dtype=torch.uint8)))
        priors = model.rpn_head.prior_generator.grid_priors([f.shape[-2:] for f in feats],
                                                            device='cpu')
        self.priors = [p.tensor if hasattr(p, 'tensor') else p for p in priors]
        nms_pre = self.rpn_cfg.get('nms_pre', -1)
        #: proposals kept per level before NMS (all, or the nms_pre best)
        self.level_sizes = [nms_pre if 0 < nms_pre < len(p) else len(p) for p in self.priors]
        self.roi_strides = extractor.featmap_strides

    def preprocess(self, image):
        """uint8 (H, W, 3) BGR -> the normalised, padded (1, 3, H', W') network input of the
        model's data preprocessor."""
        return self.model.data_preprocessor(dict(inputs=[image.permute(2, 0, 1)]),
                                            False)['inputs']

    def proposals(self, feats):
        """RPN proposals (P, 4) of one image, best first."""
        cls_scores, bbox_preds = self.model.rpn_head(feats)
        scores, deltas, anchors, levels = [], [], [], []
        for level, (cls, reg, prior, size) in enumerate(
                zip(cls_scores, bbox_preds, self.priors, self.level_sizes)):
            score = cls[0].permute(1, 2, 0).reshape(-1)
            delta = reg[0].permute(1, 2, 0).reshape(-1, 4)
            if size < prior.shape[0]:
                score, keep = score.topk(size)
                delta, prior = delta[keep], prior[keep]
            scores.append(score)
            deltas.append(delta)
            anchors.append(prior)
            levels.append(torch.full((size, ), float(level)))
        scores, levels = torch.cat(scores), torch.cat(levels)
        coder = self.model.rpn_head.bbox_coder  # decode() would take mmdet's ONNX branch
        boxes = delta2bbox(torch.cat(anchors), torch.cat(deltas), coder.means, coder.stds,
                           (self.height, self.width), clip_border=coder.clip_border,
                           add_ctr_clamp=coder.add_ctr_clamp, ctr_clamp=coder.ctr_clamp)
        min_size = self.rpn_cfg.get('min_bbox_size', -1)
        if min_size >= 0:
            wh = boxes[:, 2:] - boxes[:, :2]
            valid = ((wh[:, 0] >= min_size) & (wh[:, 1] >= min_size)).nonzero()[:, 0]
            boxes, scores, levels = boxes[valid], scores[valid], levels[valid]
        offset_boxes = boxes + (levels * (boxes.max() + 1))[:, None]
        keep = nms(offset_boxes, scores, self.rpn_cfg.nms.iou_threshold,
                   self.rpn_cfg.max_per_img)
        return boxes[keep]

    def roi_features(self, feats, proposals):
        """RoIAlign features of the proposals grouped by FPN level, and the proposals' indices
        in the same order."""
        extractor = self.model.roi_head.bbox_roi_extractor
        levels = extractor.map_roi_levels(
            torch.cat([torch.zeros_like(proposals[:, :1]), proposals], 1), len(self.roi_strides))
        roi_feats, order = [], []
        size = extractor.roi_layers[0].output_size[0]
        ratio = extractor.roi_layers[0].sampling_ratio
        for level, stride in enumerate(self.roi_strides):
            index = (levels == level).nonzero()[:, 0]
            roi_feats.append(
                roi_align_boxes(feats[level], proposals[index], size, 1.0 / stride, ratio))
            order.append(index)
        return torch.cat(roi_feats), torch.cat(order)

    def forward(self, image):
        feats = self.model.extract_feat(self.preprocess(image))
        proposals = self.proposals(feats)
        roi_feats, order = self.roi_features(feats, proposals)
        rois = proposals[order]
        roi_head = self.model.roi_head
        scores = roi_head.bbox_head(roi_feats)[0].softmax(-1)[:, 0]
        wh = rois[:, 2:] - rois[:, :2]
        min_size = self.rcnn_cfg.get('min_bbox_size', -1)
        keep = (scores > self.rcnn_cfg.score_thr) & (wh >= min_size).all(1)
        keep = keep.nonzero()[:, 0]
        scores, rois = scores[keep], rois[keep]
        pose_pred = roi_head.pose_head(roi_feats[keep])
        image_wh = pose_pred.new_tensor([self.width, self.height])
        poses, boxes = roi_head.pose_head.decode_faces(pose_pred, rois, image_wh)
        for _ in range(self.rcnn_cfg.get('pose_refine_steps', 0)):
            # faces whose boxes cannot be RoIs keep their RoI and pose (PoseRoIHead)
            usable = roi_head.pose_head.usable_rois(boxes, min_size)
            rois = torch.where(usable[:, None], boxes, rois)
            roi_feats, order = self.roi_features(feats, rois)
            usable, rois, scores, pose_pred = usable[order], rois[order], scores[order], \
                pose_pred[order]
            pose_pred = torch.where(usable[:, None], roi_head.pose_head(roi_feats), pose_pred)
            poses, boxes = roi_head.pose_head.decode_faces(pose_pred, rois, image_wh)
        max_num = self.rcnn_cfg.get('max_per_img', -1)
        keep = nms(boxes, scores, self.rcnn_cfg.nms.iou_threshold,
                   max_num if max_num and max_num > 0 else self.rpn_cfg.max_per_img)
        return boxes[keep], scores[keep], poses[keep]


def export_onnx(model, path, height, width, opset=17):
    """Write ``model`` (an :class:`Img2Pose`) for ``height`` x ``width`` images to ``path``.

    Input ``image``: (H, W, 3) uint8 BGR (``cv2.imread`` order, already resized to H x W).
    Outputs ``boxes`` (N,4), ``scores`` (N,), ``poses`` (N,6). Uses the TorchScript-based
    exporter (``dynamo=False``), which supports the custom symbolics of :mod:`.onnx_ops`.
    """
    if opset < 11:
        raise ValueError(f'opset {opset}: RoiAlign and NonMaxSuppression need opset >= 11')
    wrapper = Img2PoseExportModel(model, height, width).eval()
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (height, width, 3), dtype=torch.uint8, generator=generator)
    with torch.no_grad(), warnings.catch_warnings():
        # known and harmless: the legacy exporter's deprecation notice, and mmcv's shape
        # asserts inside the forward of the ops that the symbolics of .onnx_ops replace
        warnings.filterwarnings('ignore', 'You are using the legacy TorchScript',
                                DeprecationWarning)
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning, module='mmcv')
        torch.onnx.export(wrapper, (image, ), str(path), input_names=['image'],
                          output_names=list(OUTPUT_NAMES), opset_version=opset, dynamo=False)
    return wrapper
