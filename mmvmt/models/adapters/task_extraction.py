"""Task-specific knowledge extraction inside the VMT-Adapter bottleneck.

An extraction module turns the shared bottleneck activation ``h`` (``k``
channels) into one feature per task, ``e_t``. The adapter needs two derived
quantities, and both are exposed so that a variant can compute them cheaply:

* :meth:`BaseTaskExtraction.task_mean` -- ``e_bar = mean_t e_t``, which feeds
  the task-generic stream;
* :meth:`BaseTaskExtraction.task_delta` -- ``e_t - e_bar`` for every task,
  which feeds the task-specific side streams.

A task added to a trained model gets its own one-task extraction, started
at the trained tasks' mean (:meth:`BaseTaskExtraction.mean_task_state`;
``docs/design.md`` section 3).

Variants are registered in mmseg's ``MODELS`` registry and selected with
``adapter_cfg=dict(extraction_cfg=dict(type=...))``.
"""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['BaseTaskExtraction', 'TaskScaleShift']


class BaseTaskExtraction(BaseModule):
    """Base class of task-specific knowledge extraction.

    Subclasses implement :meth:`forward`; they may override
    :meth:`task_mean` / :meth:`task_delta` with cheaper closed forms. The
    extraction must act on the last dimension only (position-wise), so that
    the side streams can be accumulated per stage.

    Args:
        num_tasks: Number of tasks ``T``.
        channels: Bottleneck width ``k``.
        init_cfg: Unused initialisation config (kept for ``BaseModule``).
    """

    def __init__(self,
                 num_tasks: int,
                 channels: int,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_tasks < 1 or channels < 1:
            raise ValueError(f'{type(self).__name__}: num_tasks and channels '
                             f'must be >= 1, got {num_tasks} and {channels}')
        self.num_tasks = num_tasks
        self.channels = channels

    def forward(self, h: Tensor) -> Tensor:
        """Per-task features.

        Args:
            h: Shared bottleneck activation ``(..., k)``.

        Returns:
            Tensor: ``(T, ..., k)`` task features ``e_t``.
        """
        raise NotImplementedError

    def task_mean(self, h: Tensor) -> Tensor:
        """Mean of the task features over tasks, ``(..., k)``."""
        return self.forward(h).mean(0)

    def task_delta(self, h: Tensor) -> Tensor:
        """Task-specific deviations ``e_t - e_bar``, ``(T, ..., k)``."""
        e = self.forward(h)
        return e - e.mean(0, keepdim=True)

    def mean_task_state(self, state: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """State of a one-task extraction whose feature is ``e_bar``.

        Used to start a task added to a trained model at the trained
        tasks' mean feature (zero side stream). The default averages every
        entry over its first dimension (one row per task), which is exact
        for extractions that are affine in their per-task rows, such as
        :class:`TaskScaleShift`; other variants must override it.

        Args:
            state: Entries of a ``T``-task extraction of this type (names
                relative to the module).

        Returns:
            dict: The same names, each entry with a first dimension of 1.

        Raises:
            ValueError: If an entry has no task dimension of size ``T``.
        """
        out = {}
        for name, value in state.items():
            if value.dim() == 0 or value.shape[0] != self.num_tasks:
                raise ValueError(
                    f'{type(self).__name__}.mean_task_state: entry {name!r} '
                    f'of shape {list(value.shape)} has no task dimension of '
                    f'size {self.num_tasks}; override mean_task_state')
            out[name] = value.mean(0, keepdim=True)
        return out


@MODELS.register_module()
class TaskScaleShift(BaseTaskExtraction):
    """Per-task channel-wise scale and shift: ``e_t = gamma_t * h + beta_t``.

    ``gamma`` and ``beta`` have shape ``(T, k)`` and start at 1 and 0, so all
    tasks initially extract the same feature and every side stream is zero.
    Because the map is affine in ``h``, the task mean is a single affine op
    with the averaged parameters, and the deviations are one batched op with
    the centred parameters.

    Args:
        num_tasks: Number of tasks ``T``.
        channels: Bottleneck width ``k``.
        init_cfg: Unused initialisation config.
    """

    def __init__(self,
                 num_tasks: int,
                 channels: int,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(num_tasks, channels, init_cfg=init_cfg)
        self.gamma = nn.Parameter(torch.ones(num_tasks, channels))
        self.beta = nn.Parameter(torch.zeros(num_tasks, channels))

    def init_weights(self) -> None:
        """Reset to the identity extraction (``gamma=1``, ``beta=0``)."""
        with torch.no_grad():
            self.gamma.fill_(1.)
            self.beta.zero_()

    def _expand(self, param: Tensor, h: Tensor) -> Tensor:
        """View a ``(T, k)`` parameter as ``(T, 1, ..., 1, k)`` for ``h``."""
        return param.view(self.num_tasks, *([1] * (h.dim() - 1)),
                          self.channels)

    def forward(self, h: Tensor) -> Tensor:
        """See :meth:`BaseTaskExtraction.forward`."""
        return torch.addcmul(
            self._expand(self.beta, h), self._expand(self.gamma, h),
            h.unsqueeze(0))

    def task_mean(self, h: Tensor) -> Tensor:
        """``mean(gamma) * h + mean(beta)`` in one op."""
        return torch.addcmul(self.beta.mean(0), self.gamma.mean(0), h)

    def task_delta(self, h: Tensor) -> Tensor:
        """``(gamma_t - mean(gamma)) * h + (beta_t - mean(beta))``."""
        gamma = self.gamma - self.gamma.mean(0, keepdim=True)
        beta = self.beta - self.beta.mean(0, keepdim=True)
        return torch.addcmul(
            self._expand(beta, h), self._expand(gamma, h), h.unsqueeze(0))
