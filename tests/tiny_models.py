"""Tiny models shared by end-to-end tests (no pretrained weights)."""
from typing import Dict, Sequence

import torch
from mmengine.model import BaseModel
from torch import nn

#: Number of classes used for class tasks in tiny test models.
TINY_NUM_CLASSES = dict(semseg=21, human_parts=7)


def tiny_model_cfg(tasks: Sequence[str] = ('semseg', 'human_parts', 'sal',
                                           'normals'),
                   lite: bool = False,
                   checkpoint: str = None) -> Dict:
    """A MultiTaskEncoderDecoder config with a tiny VMT Swin (embed 16).

    The backbone gets its tasks from the keys of ``decode_heads``.
    """
    head = dict(
        type='MultiScaleFusionHead',
        in_channels=[16, 32, 64, 128],
        in_index=[0, 1, 2, 3],
        channels=16,
        norm_cfg=dict(type='BN', requires_grad=True))
    return dict(
        type='MultiTaskEncoderDecoder',
        data_preprocessor=dict(
            type='MultiTaskDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            size_divisor=32),
        backbone=dict(
            type='VMTSwinTransformer',
            always_dict=True,
            adapter_cfg=dict(type='VMTAdapter', reduction=4, lite=lite),
            embed_dims=16,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 2, 4],
            window_size=7,
            init_cfg=None if checkpoint is None else dict(
                type='Pretrained', checkpoint=checkpoint)),
        decode_heads={
            task:
            dict(head, num_classes=TINY_NUM_CLASSES[task])
            if task in TINY_NUM_CLASSES else dict(head)
            for task in tasks
        })


class ToyRunnerModel(BaseModel):
    """y = w x on a batch of 2-vectors; the loss is the mean of y^2. For
    tests of a real mmengine Runner (checkpoints, resume)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out
