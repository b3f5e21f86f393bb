"""L1 losses of the regression tasks (surface normals, depth).

Both average the absolute error over the valid ground-truth elements (every
channel of a valid pixel counts once), as the public multi-task references'
``NormalsLoss(normalize=True)`` and masked ``L1Loss`` do. A pixel is valid
where the task's :meth:`mmvmt.tasks.TaskSpec.valid_mask` says so; invalid
pixels contribute nothing and get no gradient.
"""
from typing import Optional

import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...tasks import DEPTH, NORMALS
from .utils import BaseTaskLoss, as_float32, masked_mean, match_target

__all__ = ['NormalsL1Loss', 'DepthL1Loss']


@MODELS.register_module()
class NormalsL1Loss(BaseTaskLoss):
    """L1 between the L2-normalised prediction and unit ground-truth normals.

    Args:
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_l1'.
        task: Normals task whose table entry gives the validity rule.
            Defaults to ``'normals'``.
        ignore_index: Overrides the task's ignore value in its validity rule.
    """

    default_task = 'normals'
    kinds = (NORMALS, )

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_l1',
                 task: Optional[str] = None,
                 ignore_index: Optional[float] = None) -> None:
        super().__init__(loss_weight, loss_name, task, ignore_index)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred: ``(N, 3, H, W)`` raw normals (normalised here).
            target: ``(N, 3, H, W)`` ground-truth unit normals.
            weight: Optional per-pixel weights ``(N, 1, H, W)``.

        Returns:
            Tensor: The weighted scalar loss.
        """
        target = match_target(pred, target, type(self).__name__)
        if pred.shape[1] != self.spec.gt_channels:
            raise ValueError(f'NormalsL1Loss expects {self.spec.gt_channels} '
                             f'channels, got {pred.shape[1]}')
        valid = self.valid_mask(target)
        target = target.masked_fill(~valid, 0)
        loss = (F.normalize(as_float32(pred), p=2, dim=1) - target).abs()
        return self.loss_weight * masked_mean(loss, valid, weight)


@MODELS.register_module()
class DepthL1Loss(BaseTaskLoss):
    """L1 depth loss over valid pixels.

    Args:
        ignore_index: Overrides the task's ignore value in its validity rule.
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_l1'.
        task: Depth task whose table entry gives the validity rule.
            Defaults to ``'depth'``.
    """

    default_task = 'depth'
    kinds = (DEPTH, )

    def __init__(self,
                 ignore_index: Optional[float] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_l1',
                 task: Optional[str] = None) -> None:
        super().__init__(loss_weight, loss_name, task, ignore_index)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred: ``(N, 1, H, W)`` depth in metres.
            target: ``(N, 1, H, W)`` or ``(N, H, W)`` depth; pixels the
                task's validity rule rejects are ignored.
            weight: Optional per-pixel weights.

        Returns:
            Tensor: The weighted scalar loss.
        """
        target = match_target(pred, target, type(self).__name__)
        valid = self.valid_mask(target)
        loss = (as_float32(pred) - target.masked_fill(~valid, 0)).abs()
        return self.loss_weight * masked_mean(loss, valid, weight)
