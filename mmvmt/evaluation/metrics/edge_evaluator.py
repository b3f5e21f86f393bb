"""Edge accumulator: a loss-free ODS F-measure with a matching tolerance."""
import math
from typing import Dict, Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from ...tasks import BINARY, TaskSpec
from .base_task_evaluator import (BaseTaskEvaluator, ImageStats, count_passing,
                                  sum_stat)
from .binary_inputs import prob_positive_valid

__all__ = ['EdgeEvaluator', 'disk_kernel']


def disk_kernel(radius: float) -> np.ndarray:
    """A ``uint8`` disk ``{(dy, dx): dy^2 + dx^2 <= radius^2}``.

    Args:
        radius: Radius in pixels (>= 0).

    Returns:
        np.ndarray: ``(2R+1, 2R+1)`` kernel with ``R = floor(radius)``.
    """
    r = int(math.floor(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return (x * x + y * y <= radius * radius + 1e-9).astype(np.uint8)


class EdgeEvaluator(BaseTaskEvaluator):
    """Optimal-dataset-scale F-measure of edge maps (``odsF``).

    **An approximation of the MATLAB SEISM / BSDS protocol** used by the
    published PASCAL-Context and NYUD-v2 edge numbers, computed without
    MATLAB and without non-maximum suppression:

    * Thresholds ``t_k = k / (K + 1)``, ``k = 1..K`` (``K = 99`` as SEISM);
      an edge is predicted where ``prob >= t`` (thresholds cast to the
      prediction's float dtype).
    * Tolerance ``d = max_dist * sqrt(H^2 + W^2)`` pixels (SEISM's
      ``maxDist``: 0.0075 for PASCAL-Context, 0.011 for NYUD-v2).
    * A predicted edge pixel is correct if a ground-truth edge pixel lies
      within Euclidean distance ``d``; a ground-truth edge pixel is recalled
      if a predicted edge pixel lies within ``d`` (both by dilation with a
      disk of radius ``d``). SEISM instead thins the prediction and matches
      pixels one-to-one (``correspondPixels``), so this proxy is optimistic
      for thick edges; use it to compare runs, not to quote SEISM numbers.
    * Counts are summed over the split per threshold; ``P`` and ``R`` give
      ``F = 2 P R / (P + R)``; ``odsF`` (percent) is the maximum over
      thresholds.

    Ignored pixels (``gt == spec.ignore_value``) neither count nor match
    anything.

    Args:
        spec: The task's table entry (kind ``'binary'``).
        max_dist: Matching tolerance as a fraction of the image diagonal.
        num_thresholds: Number of thresholds ``K``.
    """

    kind = BINARY
    metrics = ('odsF', )

    def __init__(self,
                 spec: TaskSpec,
                 max_dist: float = 0.0075,
                 num_thresholds: int = 99) -> None:
        super().__init__(spec)
        if max_dist < 0:
            raise ValueError(f'max_dist must be >= 0, got {max_dist}')
        if not isinstance(num_thresholds, int) or num_thresholds < 1:
            raise ValueError('num_thresholds must be a positive int, got '
                             f'{num_thresholds!r}')
        self.max_dist = float(max_dist)
        self.thresholds = np.arange(1, num_thresholds + 1) / (
            num_thresholds + 1)

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Matched / total predicted and ground-truth edge pixels per
        threshold.

        Args:
            pred: ``(1, H, W)`` edge probability in ``[0, 1]``.
            gt: ``(1, H, W)`` in ``{0, 1, spec.ignore_value}``.

        Returns:
            dict: ``match_pred``, ``pred`` and ``match_gt`` (per threshold),
            ``gt`` (edge pixels) and ``n`` (valid pixels).
        """
        self.check_shapes(pred, gt, pred_channels=1)
        prob, positive, valid = prob_positive_valid(pred, gt, self.spec)
        height, width = gt.shape[-2:]
        kernel = disk_kernel(self.max_dist * math.hypot(height, width))
        prob = torch.where(valid, prob, torch.zeros_like(prob))[0]
        gt_edge = (positive & valid)[0].cpu().numpy().astype(np.uint8)
        near_gt = torch.from_numpy(cv2.dilate(gt_edge, kernel) > 0)
        # Best probability within the tolerance of each pixel.
        near_prob = torch.from_numpy(cv2.dilate(prob.cpu().numpy(), kernel))
        prob = prob.cpu()
        valid = valid[0].cpu()
        thresholds = torch.as_tensor(self.thresholds, dtype=prob.dtype)
        return dict(
            match_pred=count_passing(prob[valid & near_gt], thresholds,
                                     True).numpy(),
            pred=count_passing(prob[valid], thresholds, True).numpy(),
            match_gt=count_passing(near_prob[torch.from_numpy(gt_edge > 0)],
                                   thresholds, True).numpy(),
            gt=np.int64(gt_edge.sum()),
            n=np.int64(valid.sum()))

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """``odsF`` in percent (nan if the split has no valid pixel)."""
        if not stats or int(sum_stat(stats, 'n')) == 0:
            return dict(odsF=float('nan'))
        match_pred = sum_stat(stats, 'match_pred').astype(np.float64)
        total_pred = sum_stat(stats, 'pred').astype(np.float64)
        match_gt = sum_stat(stats, 'match_gt').astype(np.float64)
        total_gt = float(sum_stat(stats, 'gt'))
        precision = np.divide(
            match_pred,
            total_pred,
            out=np.zeros_like(match_pred),
            where=total_pred > 0)
        recall = match_gt / total_gt if total_gt > 0 else np.zeros_like(
            match_gt)
        denom = precision + recall
        f = np.divide(
            2 * precision * recall,
            denom,
            out=np.zeros_like(denom),
            where=denom > 0)
        return dict(odsF=float(f.max() * 100))
