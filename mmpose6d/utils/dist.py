"""Distributed runs on machines without CUDA (torchrun + gloo)."""
import torch
import torch.distributed as dist


def setup_cpu_distributed(cfg):
    """Prepare a config launched by torchrun on a machine without CUDA.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``, both of which fail on CPU. Here the process group is started
    with gloo (mmengine then keeps it) and DDP is built without device ids.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
