# The loader of the head-pose benchmarks (test only), shared by aflw2000.py and biwi.py: one
# image per batch, in order; each names its dataset, its folder, its resize and the gt keys
# its metric reads from the metainfo.
backend_args = None

# `_scope_` and `LoadImageFromFile`: for mmdet's DetInferencer, as in img2pose_faces.py
load_image = dict(_scope_='mmpose6d', type='LoadImageFromFile', backend_args=backend_args)

test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_scope_='mmpose6d', data_prefix=dict(img=''), test_mode=True,
                 backend_args=backend_args))
val_dataloader = test_dataloader
