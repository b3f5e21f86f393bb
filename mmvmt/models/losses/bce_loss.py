"""Binary cross-entropy losses of the binary-map tasks (saliency, edges).

Both follow the public multi-task references (ASTMT / MTI-Net
``BalancedCrossEntropyLoss`` and ``BinaryCrossEntropyLoss(pos_weight=0.95)``):
positive pixels are weighted by ``w`` and negative pixels by ``1 - w``. They
compute from logits with ``binary_cross_entropy_with_logits`` (numerically
stable) and average over the valid pixels (the references divide by all
pixels, which only differs when pixels are ignored). Both compute in
float32 for any prediction dtype (see :mod:`.utils`).
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...tasks import BINARY
from .utils import BaseTaskLoss, as_float32, masked_mean, match_target

__all__ = ['weighted_bce_with_logits', 'BalancedBCELoss', 'WeightedBCELoss']


def weighted_bce_with_logits(pred: Tensor,
                             target: Tensor,
                             valid: Tensor,
                             pos_weight: Union[float, Tensor],
                             weight: Optional[Tensor] = None) -> Tensor:
    """Class-weighted BCE from logits, averaged over valid pixels.

    ``loss = -(w * y * log p + (1 - w) * (1 - y) * log(1 - p))`` with
    ``p = sigmoid(pred)``, averaged over pixels where ``valid`` holds.

    Args:
        pred: ``(N, 1, H, W)`` logits.
        target: ``(N, 1, H, W)`` labels in {0, 1} at valid pixels (any value
            elsewhere; labels are binarised with ``>= 0.5``).
        valid: ``(N, 1, H, W)`` bool mask of valid pixels.
        pos_weight: Weight ``w`` of the positive class.
        weight: Optional ``(N, 1, H, W)`` per-pixel weights.

    Returns:
        Tensor: Scalar float32 loss (zero with a gradient path if nothing is
        valid), computed in float32 whatever the dtype of ``pred``.
    """
    pred = as_float32(pred)
    labels = ((target >= 0.5) & valid).to(pred.dtype)
    class_weight = labels * pos_weight + (1 - labels) * (1 - pos_weight)
    loss = F.binary_cross_entropy_with_logits(
        pred, labels, weight=class_weight, reduction='none')
    return masked_mean(loss, valid, weight)


class _BinaryTaskLoss(BaseTaskLoss):
    """Input checks and validity mask of the binary-map losses."""

    kinds = (BINARY, )

    def _inputs(self, pred: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
        """The ``(N, 1, H, W)`` target and its valid-pixel mask."""
        target = match_target(pred, target, type(self).__name__)
        if pred.shape[1] != 1:
            raise ValueError(f'{type(self).__name__} expects one output '
                             f'channel, got {pred.shape[1]}')
        return target, self.valid_mask(target)


@MODELS.register_module()
class BalancedBCELoss(_BinaryTaskLoss):
    """Balanced binary cross-entropy (saliency; HED-style weighting).

    The positive weight is ``w = num_neg / num_valid`` counted over the valid
    pixels of the whole batch, so the rarer class gets the larger weight.
    The counts and ``w`` are float32 whatever the logits' dtype: a float16
    count overflows above 65,504 pixels (inf weight, NaN loss).

    Args:
        ignore_index: Overrides the task's ignore value in its validity rule.
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_balanced_bce'.
        task: Binary task whose table entry gives the validity rule.
            Defaults to ``'sal'``.
    """

    default_task = 'sal'

    def __init__(self,
                 ignore_index: Optional[int] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_balanced_bce',
                 task: Optional[str] = None) -> None:
        super().__init__(loss_weight, loss_name, task, ignore_index)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred: ``(N, 1, H, W)`` logits.
            target: ``(N, 1, H, W)`` or ``(N, H, W)`` labels in {0, 1};
                pixels the task's validity rule rejects are ignored.
            weight: Optional per-pixel weights.

        Returns:
            Tensor: The weighted scalar loss.
        """
        target, valid = self._inputs(pred, target)
        with torch.no_grad():
            num_valid = valid.sum()
            num_neg = (valid & (target < 0.5)).sum()
            pos_weight = (
                num_neg.to(torch.float32) /
                num_valid.clamp(min=1).to(torch.float32))
        return self.loss_weight * weighted_bce_with_logits(
            pred, target, valid, pos_weight, weight)


@MODELS.register_module()
class WeightedBCELoss(_BinaryTaskLoss):
    """Binary cross-entropy with a fixed positive weight (edges).

    ``loss = -(w * y * log p + (1 - w) * (1 - y) * log(1 - p))`` averaged
    over valid pixels, ``w = pos_weight``.

    Args:
        pos_weight: Weight of positive pixels, in (0, 1). Defaults to 0.95.
        ignore_index: Overrides the task's ignore value in its validity rule.
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_weighted_bce'.
        task: Binary task whose table entry gives the validity rule.
            Defaults to ``'edge'``.

    Raises:
        ValueError: If ``pos_weight`` is not in (0, 1).
    """

    default_task = 'edge'

    def __init__(self,
                 pos_weight: float = 0.95,
                 ignore_index: Optional[int] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_weighted_bce',
                 task: Optional[str] = None) -> None:
        super().__init__(loss_weight, loss_name, task, ignore_index)
        if not 0 < pos_weight < 1:
            raise ValueError(
                f'WeightedBCELoss: pos_weight must be in (0, 1), got '
                f'{pos_weight}')
        self.pos_weight = float(pos_weight)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred: ``(N, 1, H, W)`` logits.
            target: ``(N, 1, H, W)`` or ``(N, H, W)`` labels in {0, 1};
                pixels the task's validity rule rejects are ignored.
            weight: Optional per-pixel weights.

        Returns:
            Tensor: The weighted scalar loss.
        """
        target, valid = self._inputs(pred, target)
        return self.loss_weight * weighted_bce_with_logits(
            pred, target, valid, self.pos_weight, weight)
