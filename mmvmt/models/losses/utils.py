"""Shared pieces of the dense task losses: shape checks and masked means."""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

__all__ = ['BaseTaskLoss', 'match_target', 'masked_mean']


class BaseTaskLoss(nn.Module):
    """Base of the task losses: a loss weight and mmseg's ``loss_name``.

    Args:
        loss_weight: Factor applied to the loss value.
        loss_name: Name of the loss item in the loss dict. mmengine only sums
            items whose key contains ``'loss'``, so it must start with
            ``'loss_'``.

    Raises:
        ValueError: If ``loss_name`` does not start with ``'loss_'``.
    """

    def __init__(self, loss_weight: float, loss_name: str) -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f'{type(self).__name__}: loss_name must start '
                             f"with 'loss_' to be optimised, got "
                             f'{loss_name!r}')
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Name of the loss item (mmseg convention)."""
        return self._loss_name

    def extra_repr(self) -> str:
        """Extra repr."""
        return f'loss_weight={self.loss_weight}, loss_name={self.loss_name!r}'


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


def masked_mean(loss: Tensor,
                valid: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
    """Average an element-wise loss over valid elements.

    Invalid elements contribute exactly zero; when nothing is valid the result
    is a zero that still depends on ``loss`` (so ``backward`` works and every
    gradient is finite).

    Args:
        loss: ``(N, C, H, W)`` element-wise loss, finite everywhere.
        valid: Bool mask broadcastable to ``loss`` (e.g. ``(N, 1, H, W)``).
        weight: Optional element-wise weights broadcastable to ``loss``.

    Returns:
        Tensor: Scalar mean over the valid elements.
    """
    valid = valid.expand_as(loss)
    if weight is not None:
        loss = loss * weight
    loss = torch.where(valid, loss, loss.new_zeros(()))
    return loss.sum() / valid.sum().clamp(min=1)
