default_scope = 'mmpose6d'
# mmpose6d is imported wherever this config is read, by mmdet's and mim's tools and APIs too:
# it allows the types its training checkpoints hold in torch's weights-only loading, and
# mmpose6d.engine registers the 'atomic_local' file backend the checkpoint hook writes with
custom_imports = dict(imports=['mmpose6d', 'mmpose6d.engine'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # written atomically: a run killed while saving leaves no partial checkpoint
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # the random states in each checkpoint: a resumed run draws as the uninterrupted one
    random_states=dict(type='RandomStateHook'),
    visualization=dict(type='mmdet.DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl for GPUs; CPU-only configs switch to gloo
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
# boxes, scores as 0.93 and pose axes (tools/test.py --show-dir draws with it too)
visualizer = dict(_scope_='mmpose6d', type='Img2PoseLocalVisualizer', vis_backends=vis_backends,
                  name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
