"""A tiny mmengine training (a linear layer and a BatchNorm on random numbers) whose
checkpoints hold what img2pose's hold: the message hub's histories, optimizer and parameter
scheduler states, numpy values and the dataset meta.

``recipe='cpu'`` follows configs/img2pose/r18_fpn_rendered_cpu.py (iterations, AdamW,
LinearLR + MultiStepLR), ``recipe='wider'`` the WIDER recipe (epochs, SGD, ReduceOnPlateauLR
on the validation loss, early stopping, best checkpoint).
"""
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.norm = nn.BatchNorm1d(1)

    def forward(self, x, y=None, mode='tensor'):
        out = self.norm(self.linear(torch.stack(x))).squeeze(1)
        if mode == 'loss':
            return dict(loss=((out - torch.stack(y))**2).mean())
        return [dict(out=o) for o in out]


class ToyDataset(Dataset):
    metainfo = dict(classes=('face', ), palette=[(66, 165, 245)])

    def __len__(self):
        return 8

    def __getitem__(self, index):
        rng = np.random.default_rng(index)
        return dict(x=torch.tensor(rng.normal(size=2), dtype=torch.float32),
                    y=torch.tensor(rng.normal(), dtype=torch.float32))


class ToyMetric(BaseMetric):
    """A numpy ``val_loss`` (the WIDER recipe's monitor), as metrics usually return."""

    def process(self, data_batch, data_samples):
        self.results.extend(float(s['out']) for s in data_samples)

    def compute_metrics(self, results):
        return dict(val_loss=np.float64(np.mean(np.square(results))))


def toy_runner(work_dir, recipe='cpu', max_length=4, interval=2, load_from=None,
               resume=False, checkpoint_type='AtomicCheckpointHook'):
    """A Runner training ``max_length`` iterations (``cpu``) or epochs (``wider``) in
    ``work_dir``, checkpointing every ``interval``, starting from ``load_from``'s weights or
    (``resume``) its whole state."""
    loader = dict(dataset=ToyDataset(), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    if recipe == 'cpu':
        schedule = dict(
            train_cfg=dict(by_epoch=False, max_iters=max_length, val_interval=max_length),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
                               clip_grad=dict(max_norm=10, norm_type=2)),
            param_scheduler=[
                dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=2),
                dict(type='MultiStepLR', by_epoch=False, milestones=[3], gamma=0.1)
            ],
            log_processor=dict(by_epoch=False))
        checkpoint = dict(type=checkpoint_type, by_epoch=False, interval=interval,
                          max_keep_ckpts=3)
    else:
        schedule = dict(
            train_cfg=dict(by_epoch=True, max_epochs=max_length, val_interval=1),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=1e-3, momentum=0.9,
                                              weight_decay=5e-4),
                               clip_grad=dict(max_norm=10, norm_type=2)),
            param_scheduler=[
                dict(type='ReduceOnPlateauLR', monitor='val_loss', rule='less', factor=0.1,
                     patience=3, threshold=1e-3, threshold_rule='rel', cooldown=1,
                     min_value=1e-5, by_epoch=True)
            ],
            custom_hooks=[
                dict(type='LazyEarlyStoppingHook', monitor='val_loss', rule='less', patience=5)
            ])
        checkpoint = dict(type=checkpoint_type, interval=interval, save_best='val_loss',
                          rule='less')
    return Runner(model=ToyModel(), work_dir=str(work_dir), train_dataloader=loader,
                  val_dataloader=loader, val_evaluator=dict(type=ToyMetric), val_cfg=dict(),
                  default_hooks=dict(checkpoint=checkpoint), default_scope='mmpose6d',
                  randomness=dict(seed=0), load_from=load_from, resume=resume, **schedule)
