"""Tiny Swin backbones and the closed-form counts the PEFT tests check."""
from typing import Dict, Sequence

import torch
import torch.nn.functional as F

from mmvmt.structures import MultiTaskDataSample

__all__ = [
    'TINY_SWIN', 'SWIN_T', 'METHODS', 'peft_cfg', 'closed_form',
    'randomised_state', 'tiny_batch'
]

#: A tiny mmseg Swin (widths 16, 32, 64, 128), no pretrained weights.
TINY_SWIN = dict(
    type='SwinTransformer',
    embed_dims=16,
    depths=[1, 1, 2, 1],
    num_heads=[1, 2, 2, 4],
    window_size=7,
    drop_path_rate=0.)
#: mmseg's Swin-T as in configs/_base_/models/swin-t_stock.py.
SWIN_T = dict(
    type='SwinTransformer',
    embed_dims=96,
    depths=[2, 2, 6, 2],
    num_heads=[3, 6, 12, 24],
    window_size=7,
    drop_path_rate=0.)
#: Method configs exercised on the tiny Swin (reduction 4: k >= 4).
METHODS = {
    'lora': dict(type='LoRA', rank=2, alpha=4),
    'bitfit': dict(type='BitFit'),
    'relpos': dict(type='RelPosBiasTuning'),
    'adapter': dict(type='HoulsbyAdapter', reduction=4),
}


def peft_cfg(method,
             swin=TINY_SWIN,
             per_task=False,
             tasks=('semseg', 'sal'),
             **swin_kwargs) -> dict:
    """A PEFTBackbone config around ``swin``."""
    return dict(
        type='PEFTBackbone',
        backbone=dict(swin, **swin_kwargs),
        method=method,
        per_task=per_task,
        tasks=tasks)


def closed_form(method: dict, swin: dict, num_tasks: int = 1) -> int:
    """The trainable count each method's docstring states, by hand."""
    c, depths = swin['embed_dims'], swin['depths']
    dims = [c * 2**i for i in range(len(depths))]
    s = sum(d * n for d, n in zip(dims, depths))
    kind = method['type']
    if kind == 'LoRA':
        per_target = dict(qkv=4, proj=2, fc1=5, fc2=5)
        targets = method.get('_parts', ('qkv', ))
        count = sum(per_target[t] for t in targets) * method['rank'] * s
    elif kind == 'BitFit':
        count = 9 * s + c
        if method.get('norm_bias', True):
            count += 2 * s + c + 4 * sum(dims[:-1]) + sum(dims)
    elif kind == 'RelPosBiasTuning':
        w = swin['window_size']
        count = (2 * w - 1)**2 * sum(
            h * n for h, n in zip(swin['num_heads'], depths))
    elif kind == 'HoulsbyAdapter':
        count = 0
        for d, n in zip(dims, depths):
            k = d // method['reduction']
            count += n * (2 * d * k + k + d)
    else:
        raise KeyError(kind)
    return num_tasks * count


def randomised_state(model: torch.nn.Module,
                     seed: int = 0) -> Dict[str, torch.Tensor]:
    """``model``'s state dict with every float entry random (non-zero)."""
    gen = torch.Generator().manual_seed(seed)
    return {
        k: (torch.randn(v.shape, generator=gen) *
            0.1 if v.is_floating_point() else v)
        for k, v in model.state_dict().items()
    }


def first_tensors(feats) -> Sequence[torch.Tensor]:
    """A list of the feature maps (per-task dicts flattened in order)."""
    if isinstance(feats, dict):
        return [t for v in feats.values() for t in v]
    return list(feats)


def tiny_batch(size: int = 32) -> dict:
    """Two images with learnable semseg (left/right halves) and normals.

    Args:
        size: Image side.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``model.loss``.
    """
    halves = torch.zeros(1, size, size, dtype=torch.long)
    halves[..., size // 2:] = 1
    normal = F.normalize(torch.tensor([0.3, -0.2, 1.0]), dim=0)
    samples = []
    for _ in range(2):
        shape = (size, size)
        sample = MultiTaskDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                pad_shape=shape,
                padding_size=[0, 0, 0, 0]))
        sample.set_task_gt('semseg', halves * 2)
        sample.set_task_gt('normals',
                           normal.view(3, 1, 1).expand(3, *shape).clone())
        samples.append(sample)
    torch.manual_seed(1)
    inputs = torch.rand(2, 3, size, size) * 255
    return dict(inputs=inputs, data_samples=samples)
