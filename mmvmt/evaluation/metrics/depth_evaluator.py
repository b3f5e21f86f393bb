"""Depth accumulator: errors pooled over all valid pixels of the split."""
import math
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor

from ...tasks import DEPTH, TaskSpec
from .base_task_evaluator import BaseTaskEvaluator, ImageStats, sum_stat

__all__ = ['DepthEvaluator']


class DepthEvaluator(BaseTaskEvaluator):
    """Depth errors pooled over all valid pixels of the split.

    * ``rmse``: ``sqrt(sum (pred - gt)^2 / N)`` in metres over the ``N``
      valid pixels of the split, pooled as every reference evaluator does
      (the online ``DepthMeter`` of MTI-Net / Multi-Task-Transformer /
      MTLoRA and the ASTMT / MTI-Net offline ``eval_depth``).
    * ``abs_rel``: ``sum |pred - gt| / gt / N``.
    * ``log_rmse``: ``sqrt(mean (log gt - log pred)^2)`` (natural log).
      By default it is taken over the valid pixels with ``pred > 0`` only
      (a non-positive depth has no logarithm; the number left out is
      logged). With ``log_min_pred`` set, predictions are clamped to it
      instead and every valid pixel counts: ``log_min_pred=1e-9`` is the
      reference convention (``pred[pred <= 0] = 1e-9`` offline,
      ``clamp(min=1e-9)`` online), where a single zero prediction adds
      about ``(log gt + 20.7)^2`` to the sum. ``protocol='literature'``
      makes 1e-9 the default (:class:`LiteratureDepthEvaluator`).

    Args:
        spec: The task's table entry (kind ``'depth'``).
        log_min_pred: None to skip non-positive predictions in
            ``log_rmse``, or a positive floor to clamp them to.
    """

    kind = DEPTH
    metrics = ('rmse', 'abs_rel', 'log_rmse')

    def __init__(self,
                 spec: TaskSpec,
                 log_min_pred: Optional[float] = None) -> None:
        super().__init__(spec)
        if log_min_pred is not None and not log_min_pred > 0:
            raise ValueError('log_min_pred must be None or positive, got '
                             f'{log_min_pred}')
        self.log_min_pred = log_min_pred

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Sums of squared / relative / log errors over valid pixels.

        Args:
            pred: ``(1, H, W)`` depth in metres.
            gt: ``(1, H, W)`` depth in metres; invalid pixels as
                :meth:`TaskSpec.valid_mask` defines them.

        Returns:
            dict: ``sq``, ``abs_rel``, ``log_sq`` sums, ``n_log`` (pixels in
            ``log_sq``) and ``n`` (valid pixels).

        Raises:
            ValueError: On shapes, negative / non-finite ground truth or
                non-finite predictions at valid pixels.
        """
        self.check_shapes(pred, gt, pred_channels=1)
        if not pred.is_floating_point():
            raise ValueError(f'pred_{self.task} must be float metres, got '
                             f'dtype {pred.dtype}')
        gt = gt.to(pred.device).double()
        valid = self.spec.valid_mask(gt)
        gt_v = gt[valid]
        pred_v = pred.double()[valid]
        if not bool(torch.isfinite(gt_v).all()) or bool((gt_v < 0).any()):
            raise ValueError(f'gt_{self.task} must be finite and >= 0 '
                             f'({self.spec.ignore_value} = invalid)')
        if not bool(torch.isfinite(pred_v).all()):
            raise ValueError(f'pred_{self.task} holds non-finite values at '
                             'valid pixels')
        if self.log_min_pred is None:
            keep = pred_v > 0
            log_pred, log_gt = pred_v[keep].log(), gt_v[keep].log()
        else:
            log_pred = pred_v.clamp(min=self.log_min_pred).log()
            log_gt = gt_v.log()
        return dict(
            sq=np.float64((pred_v - gt_v).square().sum().item()),
            abs_rel=np.float64(((pred_v - gt_v).abs() / gt_v).sum().item()),
            log_sq=np.float64((log_gt - log_pred).square().sum().item()),
            n_log=np.int64(log_pred.numel()),
            n=np.int64(gt_v.numel()))

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """``rmse`` (m), ``abs_rel`` and ``log_rmse`` (nan if undefined)."""
        n = float(sum_stat(stats, 'n'))
        n_log = float(sum_stat(stats, 'n_log'))
        if n == 0:
            return {name: float('nan') for name in self.metrics}
        if n_log < n:
            print_log(
                f'{self.task}: {int(n - n_log)} of {int(n)} valid pixels '
                'have a non-positive predicted depth and are left out of '
                'log_rmse',
                logger='current')
        log_rmse = (
            math.sqrt(float(sum_stat(stats, 'log_sq')) /
                      n_log) if n_log > 0 else float('nan'))
        return dict(
            rmse=math.sqrt(float(sum_stat(stats, 'sq')) / n),
            abs_rel=float(sum_stat(stats, 'abs_rel')) / n,
            log_rmse=log_rmse)
