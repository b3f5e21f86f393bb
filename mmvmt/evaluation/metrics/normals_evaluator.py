"""Surface-normal accumulator: angular error statistics over the split."""
import math
from typing import Dict, Sequence

import numpy as np
import torch
from torch import Tensor

from ...tasks import NORMALS, TaskSpec
from .base_task_evaluator import BaseTaskEvaluator, ImageStats, sum_stat

__all__ = ['NormalsEvaluator', 'histogram_median']

#: Thresholds (degrees) of the "% of pixels with error < t" metrics.
ANGLE_THRESHOLDS = (11.25, 22.5, 30.0)
#: Largest ``|component|`` accepted for unit ground truth (8-bit rounding).
UNIT_GT_MAX_ABS = 1 + 1e-3
#: Largest ``|component|`` accepted for ground truth that is not
#: re-normalised: bicubic resizing (cv2's 4x4 kernel, a = -0.75) of values
#: in ``[-1, 1]`` overshoots to at most ``1.375^2 ~ 1.89``.
RESIZED_GT_MAX_ABS = 2.0


def histogram_median(hist: np.ndarray, bin_width: float) -> float:
    """Median of values binned in ``[k w, (k + 1) w)``, ``k = 0..B-1``.

    Each order statistic ``x_(k)`` (0-based, ascending) is estimated at the
    centre of its share of its bin: with ``c`` values in bin ``b`` and
    ``x_(k)`` the ``j``-th of them, ``x_(k) ~ (b + (j + 0.5) / c) w``. Both
    the true value and the estimate lie in the same bin, so each estimate is
    off by less than ``w``. The median is the mean of ``x_(floor((n-1)/2))``
    and ``x_(ceil((n-1)/2))`` (as ``np.median``), hence also off by less
    than ``w`` (plus float rounding at bin edges).

    Args:
        hist: Counts per bin.
        bin_width: Bin width ``w``.

    Returns:
        float: The median estimate, nan for an empty histogram.
    """
    hist = np.asarray(hist, dtype=np.int64)
    total = int(hist.sum())
    if total == 0:
        return float('nan')
    cum = np.cumsum(hist)

    def order_stat(k: int) -> float:
        b = int(np.searchsorted(cum, k, side='right'))
        before = int(cum[b - 1]) if b > 0 else 0
        return (b + (k - before + 0.5) / int(hist[b])) * bin_width

    return 0.5 * (order_stat((total - 1) // 2) + order_stat(total // 2))


class NormalsEvaluator(BaseTaskEvaluator):
    """Angular error of surface normals, pooled over all valid pixels.

    Definitions (ASTMT / MTI-Net offline ``eval_normals``): prediction and
    ground truth are L2-normalised per pixel (a zero-length prediction
    stays zero, i.e. scores 90 degrees); the error is
    ``arccos(clip(<pred, gt>, -1, 1))`` in degrees, at pixels whose ground
    truth is valid (:meth:`TaskSpec.valid_mask`; a zero-length vector is
    invalid). With ``normalize_gt=False`` the ground truth is used as it
    is, ``arccos(clip(<pred / |pred|, gt>, -1, 1))``, as the reference
    online ``NormalsMeter`` (ASTMT / MTI-Net / MTLoRA ``NormalsMeterV1``)
    behind the published numbers does: a ground-truth vector shorter than
    1 (8-bit rounding, bicubic resizing) then adds to the error.
    Over all valid pixels of the split:

    * ``mean``: mean error (degrees);
    * ``median``: median error (degrees), from a histogram of bin width
      ``median_bin_width`` (0.01 deg) with interpolation inside the bin;
      the error is below one bin width (see :func:`histogram_median`);
    * ``rmse``: ``sqrt(mean(error^2))`` (degrees), a true RMSE. The
      reference online meter's ``rmse`` key returns the *mean* error, so a
      published "rmse" column compares with ``mean``, not with this;
    * ``11.25``, ``22.5``, ``30``: percent of pixels with error strictly
      below the threshold.

    Angles are computed in float64.

    Args:
        spec: The task's table entry (kind ``'normals'``).
        median_bin_width: Histogram bin width in degrees (<= 0.01 keeps the
            median within 0.01 degree); 180 must be a multiple of it.
        normalize_gt: L2-normalise the ground truth (True) or use it as
            it is (False, the reference online meter). Unit ground truth
            may hold components up to ``1 + 1e-3`` in magnitude, ground
            truth that is not normalised up to 2 (bicubic overshoot).
    """

    kind = NORMALS
    metrics = ('mean', 'median', 'rmse', '11.25', '22.5', '30')
    fold_keys = ('hist', )

    def __init__(self,
                 spec: TaskSpec,
                 median_bin_width: float = 0.01,
                 normalize_gt: bool = True) -> None:
        super().__init__(spec)
        num_bins = 180.0 / median_bin_width if median_bin_width > 0 else 0
        if median_bin_width <= 0 or abs(num_bins - round(num_bins)) > 1e-6:
            raise ValueError('median_bin_width must be positive and divide '
                             f'180, got {median_bin_width}')
        self.bin_width = float(median_bin_width)
        self.num_bins = int(round(num_bins))
        self.normalize_gt = bool(normalize_gt)
        self.gt_max_abs = (
            UNIT_GT_MAX_ABS if self.normalize_gt else RESIZED_GT_MAX_ABS)

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Angular error sums, threshold counts and error histogram.

        Args:
            pred: ``(3, H, W)`` normal vectors (normalised here).
            gt: ``(3, H, W)`` normals (unit unless ``normalize_gt`` is
                False); invalid pixels as
                :meth:`TaskSpec.valid_mask` defines them.

        Returns:
            dict: ``sum``, ``sum_sq`` (degrees), ``below`` (counts per
            angle threshold), ``hist`` (error histogram) and ``n``.

        Raises:
            ValueError: On shapes, non-finite predictions or ground truth
                outside ``[-1, 1]`` at valid pixels.
        """
        self.check_shapes(pred, gt, pred_channels=3)
        gt = gt.to(pred.device)
        valid = self.spec.valid_mask(gt)[0]
        pred_v = pred[:, valid].double()
        gt_v = gt[:, valid].double()
        if not bool(torch.isfinite(pred_v).all()):
            raise ValueError(f'pred_{self.task} holds non-finite values at '
                             'valid pixels')
        if not bool((gt_v.abs() <= self.gt_max_abs).all()):
            bound = '[-1, 1]' if self.normalize_gt else \
                f'[-{self.gt_max_abs:g}, {self.gt_max_abs:g}]'
            raise ValueError(f'gt_{self.task} must hold vectors in {bound} '
                             f'or {self.spec.ignore_value} in all channels '
                             '(invalid)')
        # <p / |p|, g / |g|> (or <p / |p|, g>); a zero-length prediction
        # gives cos 0 (90 deg). (Tensor.norm over dim 0 is ~10x slower
        # than this on CPU.)
        sq_norms = pred_v.square().sum(dim=0)
        if self.normalize_gt:
            sq_norms = sq_norms * gt_v.square().sum(dim=0)
        norms = sq_norms.sqrt()
        cos = ((pred_v * gt_v).sum(dim=0) / norms.clamp(min=1e-300)).clamp(
            -1, 1)
        angle = torch.rad2deg(torch.arccos(cos))
        bins = (angle / self.bin_width).long().clamp(max=self.num_bins - 1)
        thresholds = torch.tensor(
            ANGLE_THRESHOLDS, device=angle.device, dtype=angle.dtype)
        below = (angle[:, None] < thresholds).sum(dim=0)
        return dict(
            sum=np.float64(angle.sum().item()),
            sum_sq=np.float64(angle.square().sum().item()),
            below=below.cpu().numpy(),
            hist=torch.bincount(bins, minlength=self.num_bins).cpu().numpy(),
            n=np.int64(angle.numel()))

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """The six angular metrics (nan without valid pixels)."""
        n = float(sum_stat(stats, 'n'))
        if n == 0:
            return {name: float('nan') for name in self.metrics}
        below = sum_stat(stats, 'below') / n * 100
        result = dict(
            mean=float(sum_stat(stats, 'sum')) / n,
            median=histogram_median(sum_stat(stats, 'hist'), self.bin_width),
            rmse=math.sqrt(float(sum_stat(stats, 'sum_sq')) / n))
        for name, value in zip(('11.25', '22.5', '30'), below):
            result[name] = float(value)
        return result
