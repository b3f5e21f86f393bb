"""Shared pieces of the dense task losses: validity, shapes, masked means.

Precision: every loss computes in float32 whatever the prediction's dtype.
Under CUDA autocast the heads emit float16 logits, and float16 cannot hold a
pixel count, a sum over pixels or a normaliser above 65,504 (a 448x448 map
has 200,704 pixels): casting one of those to the logits' dtype gives inf and
a NaN loss. :func:`as_float32` casts the prediction once at the top of each
loss (gradients flow back in the prediction's dtype); :func:`masked_mean`
sums and counts in float32.
"""
import dataclasses
from typing import Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from ...tasks import get_task

__all__ = ['BaseTaskLoss', 'match_target', 'masked_mean', 'as_float32']


class BaseTaskLoss(nn.Module):
    """Base of the task losses: validity rule, loss weight, loss name.

    The loss reads its task from :data:`mmvmt.tasks.TASKS`: pixels are valid
    where :meth:`~mmvmt.tasks.TaskSpec.valid_mask` says so. A head that
    serves a task passes it (``MultiScaleFusionHead`` sets ``task`` in the
    loss config); a loss built on its own uses :attr:`default_task`.

    Args:
        loss_weight: Factor applied to the loss value.
        loss_name: Name of the loss item in the loss dict. mmengine only sums
            items whose key contains ``'loss'``, so it must start with
            ``'loss_'``.
        task: Task whose table entry gives the validity rule; None takes
            :attr:`default_task`.
        ignore_index: Overrides the task's ``ignore_value`` in that rule.

    Raises:
        KeyError: On an unknown task.
        ValueError: If ``loss_name`` does not start with ``'loss_'`` or the
            task's kind is not one of :attr:`kinds`.
    """

    #: Task used when none is given.
    default_task: str = ''
    #: Task kinds the loss can serve.
    kinds: Tuple[str, ...] = ()

    def __init__(self,
                 loss_weight: float,
                 loss_name: str,
                 task: Optional[str] = None,
                 ignore_index: Optional[float] = None) -> None:
        super().__init__()
        name = type(self).__name__
        if not loss_name.startswith('loss_'):
            raise ValueError(f'{name}: loss_name must start '
                             f"with 'loss_' to be optimised, got "
                             f'{loss_name!r}')
        spec = get_task(task or self.default_task)
        if spec.kind not in self.kinds:
            raise ValueError(f'{name} serves {list(self.kinds)} tasks; task '
                             f'{spec.name!r} is a {spec.kind!r} task')
        if ignore_index is not None:
            spec = dataclasses.replace(spec, ignore_value=ignore_index)
        self.spec = spec
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Name of the loss item (mmseg convention)."""
        return self._loss_name

    def valid_mask(self, target: Tensor) -> Tensor:
        """``(N, 1, H, W)`` bool mask of the valid pixels of ``target``."""
        return self.spec.valid_mask(target)

    def extra_repr(self) -> str:
        """Extra repr."""
        return (f'task={self.spec.name!r}, loss_weight={self.loss_weight}, '
                f'loss_name={self.loss_name!r}')


def match_target(pred: Tensor, target: Tensor, loss: str) -> Tensor:
    """Bring ``target`` to the ``(N, C, H, W)`` layout of ``pred``.

    A ``(N, H, W)`` target (mmseg's squeezed label layout) is accepted for
    single-channel predictions.

    Args:
        pred: ``(N, C, H, W)`` prediction.
        target: ``(N, C, H, W)`` or, if ``C == 1``, ``(N, H, W)`` target.
        loss: Name of the calling loss, used in error messages.

    Returns:
        Tensor: The target as ``(N, C, H, W)``.

    Raises:
        ValueError: If the shapes do not match.
    """
    if pred.dim() != 4:
        raise ValueError(f'{loss}: expected a (N, C, H, W) prediction, got '
                         f'shape {tuple(pred.shape)}')
    if target.dim() == 3 and pred.shape[1] == 1:
        target = target.unsqueeze(1)
    if target.shape != pred.shape:
        raise ValueError(f'{loss}: prediction shape {tuple(pred.shape)} does '
                         f'not match target shape {tuple(target.shape)}')
    return target


def as_float32(pred: Tensor) -> Tensor:
    """``pred`` in float32 (a no-op for float32 and float64 inputs).

    Half-precision predictions (float16 under CUDA autocast, bfloat16) are
    cast up so that the loss, its per-pixel weights and its sums are
    computed in float32; the gradient reaches ``pred`` in its own dtype.
    """
    if pred.dtype in (torch.float16, torch.bfloat16):
        return pred.float()
    return pred


def masked_mean(loss: Tensor,
                valid: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
    """Average an element-wise loss over valid elements.

    Invalid elements contribute exactly zero; when nothing is valid the result
    is a zero that still depends on ``loss`` (so ``backward`` works and every
    gradient is finite). The weighting, the sum and the count are computed
    in float32 (a half-precision ``loss`` or ``weight`` is cast up first).

    Args:
        loss: ``(N, C, H, W)`` element-wise loss, finite everywhere.
        valid: Bool mask broadcastable to ``loss`` (e.g. ``(N, 1, H, W)``).
        weight: Optional element-wise weights broadcastable to ``loss``.

    Returns:
        Tensor: Scalar mean over the valid elements.
    """
    loss = as_float32(loss)
    valid = valid.expand_as(loss)
    if weight is not None:
        loss = loss * as_float32(weight)
    loss = torch.where(valid, loss, loss.new_zeros(()))
    return loss.sum() / valid.sum().clamp(min=1).to(loss.dtype)
