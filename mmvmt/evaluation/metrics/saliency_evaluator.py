"""Saliency accumulator: max-over-thresholds mIoU and maxF."""
from typing import Dict, Sequence

import numpy as np
import torch
from torch import Tensor

from ...tasks import BINARY, TaskSpec
from .base_task_evaluator import (BaseTaskEvaluator, ImageStats, count_passing,
                                  sum_stat)
from .binary_inputs import prob_positive_valid

__all__ = ['SaliencyEvaluator']

#: ``mIoU`` thresholds of ASTMT / MTI-Net ``eval_sal`` (``prob > t``).
IOU_THRESHOLDS = tuple(np.linspace(0.2, 0.9, 15).tolist())
#: ``maxF`` thresholds of Multi-Task-Transformer's ``SaliencyMeter``
#: (``torch.arange(0.05, 1, 0.05)``, ``prob >= t``), as exact decimals.
F_THRESHOLDS = tuple(np.round(np.arange(1, 20) * 0.05, 2).tolist())


def _as_thresholds(values: Sequence[float], name: str) -> np.ndarray:
    """Validate ascending thresholds in ``[0, 1]``."""
    values = np.asarray(values, dtype=np.float64)
    if (values.ndim != 1 or values.size == 0 or np.any(np.diff(values) <= 0)
            or values.min() < 0 or values.max() > 1):
        raise ValueError(f'{name} must be a non-empty strictly ascending '
                         f'sequence in [0, 1], got {values.tolist()}')
    return values


class SaliencyEvaluator(BaseTaskEvaluator):
    """Saliency metrics of the PASCAL-Context multi-task benchmark.

    * ``mIoU`` (percent): for each threshold ``t`` of
      ``linspace(0.2, 0.9, 15)``, the per-image IoU between ``prob > t`` and
      the ground-truth foreground, averaged over images; then the maximum
      over thresholds (ASTMT / MTI-Net ``eval_sal``). An image whose
      prediction and ground truth are both empty (on valid pixels) scores 1.
    * ``maxF`` (percent): for each threshold ``t`` of ``0.05, 0.10, ...,
      0.95`` (19 thresholds), precision ``P`` and recall ``R`` of
      ``prob >= t`` from TP / predicted / actual positive counts summed over
      the whole split, ``F = (1 + b2) P R / (b2 P + R)`` with
      ``b2 = beta^2 = 0.3`` (0 where undefined); then the maximum over
      thresholds (Multi-Task-Transformer ``SaliencyMeter``).

    Ignored pixels (``gt == spec.ignore_value``) are excluded from every
    count, the per-image IoU included. An image without any valid pixel is
    left out of the ``mIoU`` average (the reference data have no ignored
    saliency pixels). Thresholds are cast to the prediction's float dtype
    before comparing (the reference code compares float32 maps with float32
    thresholds), so a float32 probability of 0.3 does not pass ``> 0.3``.
    Predictions are not quantised to ``uint8`` as the reference offline
    scripts do after saving PNGs.

    Args:
        spec: The task's table entry (kind ``'binary'``).
        iou_thresholds: Thresholds of ``mIoU`` (``prob > t``).
        f_thresholds: Thresholds of ``maxF`` (``prob >= t``).
        beta2: ``beta^2`` of the F-measure.
    """

    kind = BINARY
    metrics = ('mIoU', 'maxF')

    def __init__(self,
                 spec: TaskSpec,
                 iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
                 f_thresholds: Sequence[float] = F_THRESHOLDS,
                 beta2: float = 0.3) -> None:
        super().__init__(spec)
        self.iou_thresholds = _as_thresholds(iou_thresholds, 'iou_thresholds')
        self.f_thresholds = _as_thresholds(f_thresholds, 'f_thresholds')
        if beta2 <= 0:
            raise ValueError(f'beta2 must be positive, got {beta2}')
        self.beta2 = float(beta2)

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Per-threshold IoU of the image and F-measure counts.

        Args:
            pred: ``(1, H, W)`` foreground probability in ``[0, 1]``.
            gt: ``(1, H, W)`` in ``{0, 1, spec.ignore_value}``.

        Returns:
            dict: ``iou`` (per ``mIoU`` threshold), ``tp`` and ``pp``
            (true / predicted positives per ``maxF`` threshold), ``ap``
            (actual positives) and ``n`` (valid pixels).
        """
        self.check_shapes(pred, gt, pred_channels=1)
        prob, positive, valid = prob_positive_valid(pred, gt, self.spec)
        pos_prob = prob[valid & positive]
        neg_prob = prob[valid & ~positive]
        iou_t = torch.as_tensor(
            self.iou_thresholds, dtype=prob.dtype, device=prob.device)
        f_t = torch.as_tensor(
            self.f_thresholds, dtype=prob.dtype, device=prob.device)
        actual = pos_prob.numel()
        # IoU = TP / (TP + FP + FN) = TP / (actual positives + FP).
        tp_iou = count_passing(pos_prob, iou_t, inclusive=False).double()
        union = actual + count_passing(neg_prob, iou_t, inclusive=False)
        iou = torch.where(union > 0, tp_iou / union.clamp(min=1),
                          torch.ones_like(tp_iou))
        tp = count_passing(pos_prob, f_t, inclusive=True)
        pp = tp + count_passing(neg_prob, f_t, inclusive=True)
        return dict(
            iou=iou.cpu().numpy(),
            tp=tp.cpu().numpy(),
            pp=pp.cpu().numpy(),
            ap=np.int64(actual),
            n=np.int64(pos_prob.numel() + neg_prob.numel()))

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """``mIoU`` and ``maxF`` in percent (nan without valid pixels)."""
        ious = [s['iou'] for s in stats if s['n'] > 0]
        if not ious:
            return dict(mIoU=float('nan'), maxF=float('nan'))
        miou = np.mean(ious, axis=0).max() * 100
        return dict(mIoU=float(miou), maxF=self.max_f(stats))

    def max_f(self, stats: Sequence[ImageStats]) -> float:
        """Maximum over thresholds of the split-level F-beta, in percent."""
        tp = sum_stat(stats, 'tp').astype(np.float64)
        pp = sum_stat(stats, 'pp').astype(np.float64)
        ap = float(sum_stat(stats, 'ap'))
        precision = np.divide(tp, pp, out=np.zeros_like(tp), where=pp > 0)
        recall = tp / ap if ap > 0 else np.zeros_like(tp)
        denom = self.beta2 * precision + recall
        f = np.divide(
            (1 + self.beta2) * precision * recall,
            denom,
            out=np.zeros_like(tp),
            where=denom > 0)
        return float(f.max() * 100)
