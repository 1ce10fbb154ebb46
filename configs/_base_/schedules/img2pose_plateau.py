# The original img2pose recipe: SGD (lr 1e-3, momentum 0.9, weight decay 5e-4), gradient
# clipping at norm 10, validation every epoch. The signal is the VALIDATION LOSS (the mean
# over val batches of the sum of the five training losses, computed as the original does:
# training settings, train mode, no gradients: the model's `val_loss`, which a config
# using this schedule sets with the best-checkpoint rule, as r18_fpn_wider.py): the LR drops
# x0.1 when it stops improving (mode min, patience 3, threshold 1e-3 relative, cooldown 1,
# down to 1e-5), training stops when it has not improved for 5 validations, and the best
# checkpoint is the one with the lowest. The WIDER AP metric is logged beside it.
val_monitor = 'val_loss'

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
        rule='less',
        factor=0.1,
        patience=3,
        threshold=1e-3,
        threshold_rule='rel',
        cooldown=1,
        min_value=1e-5,
        by_epoch=True)
]

# the original stops when the loss has not decreased for 5 validations (any decrease counts);
# the lazy hook checks the train loop only when training (testing needs no training data)
custom_hooks = [
    dict(type='LazyEarlyStoppingHook', monitor=val_monitor, rule='less', min_delta=0.0,
         patience=5)
]

# 8 GPUs x 2 images
auto_scale_lr = dict(enable=False, base_batch_size=16)
