"""A random multi-task batch: images and every head's ground truth.

For what needs a loss but no data: the DDP-safety test (every trainable
parameter gets a gradient) and ``tools/analysis_tools/benchmark_methods.py``
(training-step timings).
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..structures import MultiTaskDataSample
from ..tasks import BINARY, CLASS, DEPTH, NORMALS, get_task

__all__ = ['random_task_gt', 'random_batch']


def random_task_gt(task: str, head: nn.Module, size: int) -> Tensor:
    """A random ``(C, size, size)`` target of ``task`` in its range.

    Class ids are below ``head.out_channels``; normals are unit vectors;
    depth lies in [0.1, 4.1) metres.

    Raises:
        ValueError: For a task kind without a random target.
    """
    spec = get_task(task)
    if spec.kind == CLASS:
        return torch.randint(0, head.out_channels, (1, size, size))
    if spec.kind == BINARY:
        return torch.randint(0, 2, (1, size, size))
    if spec.kind == NORMALS:
        return nn.functional.normalize(torch.randn(3, size, size), dim=0)
    if spec.kind == DEPTH:
        return torch.rand(1, size, size) * 4 + 0.1
    raise ValueError(f'no random target for task {task!r} of kind '
                     f'{spec.kind!r}')


def random_batch(
    model: nn.Module,
    batch: int,
    size: int,
    device: Optional[torch.device] = None
) -> Tuple[Tensor, List[MultiTaskDataSample]]:
    """Random ``(batch, 3, size, size)`` images and samples that hold a
    random target for every task of ``model.decode_heads``."""
    inputs = torch.randn(batch, 3, size, size, device=device)
    samples = []
    for _ in range(batch):
        sample = MultiTaskDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                padding_size=[0, 0, 0, 0]))
        for task, head in model.decode_heads.items():
            sample.set_task_gt(task,
                               random_task_gt(task, head, size).to(device))
        samples.append(sample)
    return inputs, samples
