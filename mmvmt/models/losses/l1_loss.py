"""L1 losses of the regression tasks (surface normals, depth).

Both average the absolute error over the valid ground-truth elements (every
channel of a valid pixel counts once), as the public multi-task references'
``NormalsLoss(normalize=True)`` and masked ``L1Loss`` do. Validity comes from
the task table (:meth:`mmvmt.tasks.TaskSpec.valid_mask`).
"""
from typing import Optional

import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...tasks import get_task
from .utils import BaseTaskLoss, masked_mean, match_target

__all__ = ['NormalsL1Loss', 'DepthL1Loss']


@MODELS.register_module()
class NormalsL1Loss(BaseTaskLoss):
    """L1 between the L2-normalised prediction and unit ground-truth normals.

    Pixels with 255 in all three channels or a zero ground-truth vector are
    invalid (``TASKS['normals'].valid_mask``).

    Args:
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_l1'.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_l1') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.spec = get_task('normals')

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
        valid = self.spec.valid_mask(target)
        target = target.masked_fill(~valid, 0)
        loss = (F.normalize(pred, p=2, dim=1) - target).abs()
        return self.loss_weight * masked_mean(loss, valid, weight)


@MODELS.register_module()
class DepthL1Loss(BaseTaskLoss):
    """L1 depth loss over valid pixels (ground truth 0 is invalid).

    Args:
        ignore_index: Ground-truth value of invalid pixels; ``None`` takes the
            ``depth`` task's ignore value (0).
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_l1'.
    """

    def __init__(self,
                 ignore_index: Optional[float] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_l1') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.ignore_index = (
            get_task('depth').ignore_value
            if ignore_index is None else ignore_index)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred: ``(N, 1, H, W)`` depth in metres.
            target: ``(N, 1, H, W)`` or ``(N, H, W)`` depth, ``ignore_index``
                where invalid.
            weight: Optional per-pixel weights.

        Returns:
            Tensor: The weighted scalar loss.
        """
        target = match_target(pred, target, type(self).__name__)
        valid = target != self.ignore_index
        loss = (pred - target.masked_fill(~valid, 0)).abs()
        return self.loss_weight * masked_mean(loss, valid, weight)
