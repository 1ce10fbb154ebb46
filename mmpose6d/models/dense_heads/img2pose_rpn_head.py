"""The original img2pose RPN's proposal step on mmdet's RPNHead."""
import torch
from mmdet.models.dense_heads import RPNHead
from mmengine.structures import InstanceData

from mmpose6d.ops import batched_nms
from mmpose6d.registry import MODELS


@MODELS.register_module()
class Img2PoseRPNHead(RPNHead):
    """mmdet's ``RPNHead`` (same layers, targets and losses) with torchvision's proposal
    step, as the original img2pose runs it:

    per level, the ``nms_pre`` anchors with the highest objectness LOGITS; their boxes
    decoded and clipped to the image; boxes narrower or lower than ``min_bbox_size``
    dropped (kept when equal); NMS per level; the ``max_per_img`` best by logit across
    levels. Ranking by the logits matters: their sigmoid saturates to 1.0 in float32 above
    about 17, and the tie would reorder the NMS. The scores returned are the sigmoids.
    The step runs in float32 whatever the head's output dtype (float16 under ``--amp``):
    mmcv's NMS mixes the two dtypes above 10,000 boxes. On CPU the NMS of the levels runs
    on parallel threads (:func:`mmpose6d.ops.batched_nms`), torchvision's rule.
    """

    def _predict_by_feat_single(self, cls_score_list, bbox_pred_list, score_factor_list,
                                mlvl_priors, img_meta, cfg, rescale=False, with_nms=True):
        cfg = self.test_cfg if cfg is None else cfg
        nms_pre = cfg.get('nms_pre', -1)
        logits, deltas, priors, levels = [], [], [], []
        for level, (cls_score, bbox_pred, prior) in enumerate(
                zip(cls_score_list, bbox_pred_list, mlvl_priors)):
            logit = cls_score.permute(1, 2, 0).reshape(-1).float()
            delta = bbox_pred.permute(1, 2, 0).reshape(-1, self.bbox_coder.encode_size).float()
            if 0 < nms_pre < len(logit):
                logit, keep = logit.topk(nms_pre)
                delta, prior = delta[keep], prior[keep]
            logits.append(logit)
            deltas.append(delta)
            priors.append(prior)
            levels.append(torch.full_like(logit, level, dtype=torch.long))
        bboxes = self.bbox_coder.decode(torch.cat(priors), torch.cat(deltas),
                                        max_shape=img_meta['img_shape'])
        logits, levels = torch.cat(logits), torch.cat(levels)
        min_size = cfg.get('min_bbox_size', -1)
        if min_size >= 0:
            wh = bboxes[:, 2:] - bboxes[:, :2]
            valid = (wh >= min_size).all(1)
            bboxes, logits, levels = bboxes[valid], logits[valid], levels[valid]
        if len(bboxes):
            keep = batched_nms(bboxes, logits, levels, cfg.nms)[:cfg.max_per_img]
            bboxes, logits = bboxes[keep], logits[keep]
        if rescale:
            bboxes = bboxes / bboxes.new_tensor(img_meta['scale_factor']).repeat(2)
        return InstanceData(bboxes=bboxes, scores=logits.sigmoid(),
                            labels=logits.new_zeros(len(logits), dtype=torch.long))
