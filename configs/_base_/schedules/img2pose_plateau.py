# The original img2pose recipe: SGD (lr 1e-3, momentum 0.9, weight decay 5e-4), gradient
# clipping at norm 10, LR x0.1 when the validation score stops improving (down to 1e-5),
# validation every epoch and early stopping, both watching the WIDER FACE hard-set AP.
val_monitor = 'widerface/hard'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=10, norm_type=2))

param_scheduler = [
    dict(
        type='ReduceOnPlateauLR',
        monitor=val_monitor,
        rule='greater',
        factor=0.1,
        patience=3,
        min_value=1e-5,
        by_epoch=True)
]

custom_hooks = [
    dict(type='EarlyStoppingHook', monitor=val_monitor, rule='greater', min_delta=1e-4,
         patience=8)
]

# 8 GPUs x 2 images
auto_scale_lr = dict(enable=False, base_batch_size=16)
