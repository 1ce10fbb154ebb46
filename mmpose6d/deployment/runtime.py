"""Running an exported model with onnxruntime, and the PyTorch model on the same input."""
import cv2
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmpose6d.registry import MODELS
from mmpose6d.utils.checkpoint_fit import load_model_checkpoint

from .export import OUTPUT_NAMES


def build_model(config, checkpoint=None, cfg_options=None, trust_checkpoint=False):
    """The model of ``config`` (a path) in eval mode on the CPU, with ``checkpoint``'s
    weights (None: random weights), read safely and checked to fit
    (:func:`~mmpose6d.utils.checkpoint_fit.load_model_checkpoint`)."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpose6d'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_model_checkpoint(model, checkpoint, trust_checkpoint)
    return model.eval()


class OnnxImg2Pose:
    """An onnxruntime session of an exported img2pose: ``__call__(image)`` with a uint8
    (H, W, 3) BGR image of the exported size -> dict of numpy ``boxes``, ``scores``,
    ``poses``.

    Args:
        path: the ``.onnx`` file.
        threads: intra-op threads (``None``: onnxruntime's default, all cores).
    """

    def __init__(self, path, threads=None):
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options,
                                            providers=['CPUExecutionProvider'])
        image_input = self.session.get_inputs()[0]
        self.input_name = image_input.name
        self.shape = tuple(image_input.shape)

    def __call__(self, image):
        image = np.ascontiguousarray(image, dtype=np.uint8)
        if image.shape != self.shape:
            raise ValueError(f'image of shape {image.shape}, the model was exported for '
                             f'{self.shape} (H, W, 3): resize it first')
        outputs = self.session.run(list(OUTPUT_NAMES), {self.input_name: image})
        return dict(zip(OUTPUT_NAMES, outputs))


def read_image(path, height, width):
    """A uint8 BGR image of ``path`` resized to ``width`` x ``height`` (None: seeded noise)."""
    if path is None:
        return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(f'cannot read image {path}')
    return cv2.resize(image, (width, height))


def predict_pytorch(model, image):
    """The PyTorch model's ``test_step`` on a uint8 (H, W, 3) BGR image taken at its own size
    (no resize) -> dict of numpy ``boxes``, ``scores``, ``poses``, as :class:`OnnxImg2Pose`."""
    height, width = image.shape[:2]
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         scale_factor=(1.0, 1.0)))
    inputs = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    with torch.no_grad():
        pred = model.test_step(dict(inputs=[inputs], data_samples=[sample]))[0].pred_instances
    return {name: pred.get(key).cpu().numpy()
            for name, key in (('boxes', 'bboxes'), ('scores', 'scores'), ('poses', 'poses'))}


def compare_detections(reference, other):
    """Match two detection dicts (``boxes``, ``scores``, ``poses``) one to one, greedily by
    score (``1e4 * |d score| + max |d box|``), best reference first -> dict with the counts,
    the unmatched detections of each side and the largest box (px), score and pose
    differences over the matched pairs."""
    order = np.argsort(-reference['scores'], kind='stable')
    free = np.ones(len(other['scores']), bool)
    pairs = []
    for i in order:
        if not free.any():
            break
        cost = 1e4 * np.abs(other['scores'] - reference['scores'][i]) + np.abs(
            other['boxes'] - reference['boxes'][i]).max(1)
        j = int(np.argmin(np.where(free, cost, np.inf)))
        free[j] = False
        pairs.append((i, j))
    i, j = np.array(pairs, int).reshape(-1, 2).T

    def largest(key):
        return float(np.abs(reference[key][i] - other[key][j]).max()) if len(i) else 0.0

    return dict(num_reference=len(reference['scores']), num_other=len(other['scores']),
                unmatched_reference=len(reference['scores']) - len(i),
                unmatched_other=int(free.sum()), box=largest('boxes'),
                score=largest('scores'), pose=largest('poses'))
