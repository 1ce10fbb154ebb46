# The loader of the head-pose benchmarks (test only), shared by aflw2000.py and biwi.py: one
# image per batch, in order; each names its dataset, its folder, its resize and the gt keys
# its metric reads from the metainfo.
backend_args = None

load_image = dict(type='LoadPoseImage', backend_args=backend_args)

test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_prefix=dict(img=''), test_mode=True, backend_args=backend_args))
val_dataloader = test_dataloader
