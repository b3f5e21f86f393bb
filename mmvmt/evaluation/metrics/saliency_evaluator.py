"""Saliency accumulator: max-over-thresholds mIoU and three maxF flavours."""
from typing import Dict, Sequence

import numpy as np
import torch
from torch import Tensor

from ...tasks import BINARY, TaskSpec
from .base_task_evaluator import (BaseTaskEvaluator, ImageStats, count_passing,
                                  sum_stat)
from .binary_inputs import prob_positive_valid
from .f_measures import (BETA_THRESHOLDS, astmt_max_f, astmt_precision_recall,
                         pooled_max_f)

__all__ = ['SaliencyEvaluator']

#: ``mIoU`` (and ``maxF_astmt``) thresholds of ASTMT / MTI-Net
#: ``eval_sal`` (``prob > t``).
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
    * ``maxF`` (percent, mmvmt's flavour): for each threshold ``t`` of
      ``0.05, 0.10, ..., 0.95`` (19 thresholds), precision ``P`` and recall
      ``R`` of ``prob >= t`` from TP / predicted / actual positive counts
      summed over the whole split, ``F = (1 + b2) P R / (b2 P + R)`` with
      ``b2 = beta^2 = 0.3`` (0 where undefined); then the maximum over
      thresholds. It matches neither published flavour below.
    * ``maxF_astmt`` (percent): the ASTMT / MTI-Net / MTL-PyTorch
      ``SaliencyMeter`` (MTLoRA's ``maxF``): ``beta = 1``; per image and
      threshold ``t`` of ``iou_thresholds`` (``prob > t``),
      ``P = TP / (TP + FP + 1e-12)`` and ``R = TP / (TP + FN + 1e-12)``,
      so an image without predicted foreground has ``P = 0`` and one
      without ground-truth foreground has ``P = R = 0`` (it is averaged in,
      not skipped); ``P`` and ``R`` are averaged over images, then
      ``F = 2 mP mR / (mP + mR + 1e-12)`` and the maximum over thresholds.
    * ``maxF_beta`` (percent): the InvPT / MTLoRA ``SaliencyMeterWithBeta``
      (MTLoRA's ``Beta maxF``): pooled counts and ``b2 = beta2`` as
      ``maxF``, but of ``sigmoid(prob) >= t`` in float32 for the float32
      thresholds ``torch.arange(0.05, 1, 0.05)``. The reference applies
      that sigmoid to values that already are probabilities, so
      ``sigmoid(prob)`` lies in ``[0.5, 0.731]``: every ``t <= 0.5`` marks
      every valid pixel salient (``R = 1``), every ``t >= 0.75`` none
      (``F = 0``), and only ``t`` in ``0.55, 0.6, 0.65, 0.7`` cut, at
      ``prob >= logit(t)`` = 0.2007, 0.4055, 0.6190, 0.8473.

    Ignored pixels (``gt == spec.ignore_value``) are excluded from every
    count, the per-image IoU, precision and recall included (the reference
    ``jaccard`` / ``precision_recall`` would count a 255 as foreground; the
    reference data have no ignored saliency pixels). An image without any
    valid pixel is left out of the ``mIoU`` and ``maxF_astmt`` averages.
    Thresholds are cast to the prediction's float dtype before comparing
    (the reference code compares float32 maps with float32 thresholds), so
    a float32 probability of 0.3 does not pass ``> 0.3``. Predictions are
    not quantised to ``uint8`` as the reference offline scripts do after
    saving PNGs (the online meters, whose numbers are published, do not
    quantise either).

    Args:
        spec: The task's table entry (kind ``'binary'``).
        iou_thresholds: Thresholds of ``mIoU`` and ``maxF_astmt``
            (``prob > t``).
        f_thresholds: Thresholds of ``maxF`` (``prob >= t``).
        beta2: ``beta^2`` of ``maxF`` and ``maxF_beta``.
    """

    kind = BINARY
    metrics = ('mIoU', 'maxF', 'maxF_astmt', 'maxF_beta')

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
        self.beta_thresholds = torch.tensor(
            BETA_THRESHOLDS, dtype=torch.float32)

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Per-threshold IoU, precision / recall and F-measure counts.

        Args:
            pred: ``(1, H, W)`` foreground probability in ``[0, 1]``.
            gt: ``(1, H, W)`` in ``{0, 1, spec.ignore_value}``.

        Returns:
            dict: ``iou`` and ``pr_astmt`` (``(2, T)`` precision / recall)
            per ``mIoU`` threshold, ``tp`` and ``pp`` (true / predicted
            positives per ``maxF`` threshold), ``tp_beta`` and ``pp_beta``
            (the same for ``maxF_beta``), ``ap`` (actual positives) and
            ``n`` (valid pixels).
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
        tp_iou = count_passing(pos_prob, iou_t, inclusive=False)
        fp_iou = count_passing(neg_prob, iou_t, inclusive=False)
        union = actual + fp_iou
        iou = torch.where(union > 0,
                          tp_iou.double() / union.clamp(min=1),
                          torch.ones_like(tp_iou, dtype=torch.float64))
        tp = count_passing(pos_prob, f_t, inclusive=True)
        pp = tp + count_passing(neg_prob, f_t, inclusive=True)
        # the reference's second sigmoid, in float32 as there
        beta_t = self.beta_thresholds.to(prob.device)
        tp_beta = count_passing(
            pos_prob.float().sigmoid(), beta_t, inclusive=True)
        pp_beta = tp_beta + count_passing(
            neg_prob.float().sigmoid(), beta_t, inclusive=True)
        return dict(
            iou=iou.cpu().numpy(),
            pr_astmt=astmt_precision_recall(tp_iou.cpu().numpy(),
                                            fp_iou.cpu().numpy(), actual),
            tp=tp.cpu().numpy(),
            pp=pp.cpu().numpy(),
            tp_beta=tp_beta.cpu().numpy(),
            pp_beta=pp_beta.cpu().numpy(),
            ap=np.int64(actual),
            n=np.int64(pos_prob.numel() + neg_prob.numel()))

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """The four metrics in percent (nan without valid pixels)."""
        kept = [s for s in stats if s['n'] > 0]
        if not kept:
            return {name: float('nan') for name in self.metrics}
        ap = float(sum_stat(stats, 'ap'))
        return dict(
            mIoU=float(np.mean([s['iou'] for s in kept], axis=0).max() * 100),
            maxF=pooled_max_f(
                sum_stat(stats, 'tp'), sum_stat(stats, 'pp'), ap, self.beta2),
            maxF_astmt=astmt_max_f([s['pr_astmt'] for s in kept]),
            maxF_beta=pooled_max_f(
                sum_stat(stats, 'tp_beta'), sum_stat(stats, 'pp_beta'), ap,
                self.beta2))
