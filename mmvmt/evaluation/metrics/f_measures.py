"""The saliency F-measure flavours of the reference meters, as reductions.

Three maxF definitions are in circulation for PASCAL-Context saliency; they
differ in ``beta``, in how precision and recall are averaged and in the
thresholds (see :class:`SaliencyEvaluator`). This module holds the
split-level reductions; the per-image counts come from the evaluator.
"""
from typing import Sequence

import numpy as np
import torch

__all__ = [
    'BETA_THRESHOLDS', 'ASTMT_EPS', 'f_beta', 'pooled_max_f',
    'astmt_precision_recall', 'astmt_max_f'
]

#: Thresholds of the InvPT / MTLoRA ``SaliencyMeterWithBeta``:
#: ``torch.arange(0.05, 1, 0.05)`` in float32 (19 values, 0.05 .. 0.95),
#: kept as the exact float32 numbers.
BETA_THRESHOLDS = tuple(
    torch.arange(0.05, 1, 0.05, dtype=torch.float32).tolist())

#: The ``1e-12`` the ASTMT ``precision_recall`` and ``eval_sal`` add to
#: every denominator (so an empty denominator gives 0, not nan).
ASTMT_EPS = 1e-12


def f_beta(precision: np.ndarray, recall: np.ndarray,
           beta2: float) -> np.ndarray:
    """``(1 + b2) P R / (b2 P + R)``, 0 where the denominator is 0.

    Args:
        precision: Precision per threshold.
        recall: Recall per threshold.
        beta2: ``beta^2``.

    Returns:
        np.ndarray: The F-measure per threshold.
    """
    denom = beta2 * precision + recall
    return np.divide(
        (1 + beta2) * precision * recall,
        denom,
        out=np.zeros_like(denom, dtype=np.float64),
        where=denom > 0)


def pooled_max_f(tp: np.ndarray, pp: np.ndarray, ap: float,
                 beta2: float) -> float:
    """Max over thresholds of F-beta from counts pooled over the split.

    Precision ``tp / pp`` and recall ``tp / ap`` are 0 where undefined (the
    reference meters turn the resulting nan F-scores into 0).

    Args:
        tp: True positives per threshold, summed over images.
        pp: Predicted positives per threshold, summed over images.
        ap: Actual positives, summed over images.
        beta2: ``beta^2``.

    Returns:
        float: The maximum in percent.
    """
    tp = np.asarray(tp, dtype=np.float64)
    pp = np.asarray(pp, dtype=np.float64)
    precision = np.divide(tp, pp, out=np.zeros_like(tp), where=pp > 0)
    recall = tp / ap if ap > 0 else np.zeros_like(tp)
    return float(f_beta(precision, recall, beta2).max() * 100)


def astmt_precision_recall(tp: np.ndarray, fp: np.ndarray,
                           actual: int) -> np.ndarray:
    """One image's precision and recall per threshold, as ASTMT computes.

    ``P = tp / (tp + fp + 1e-12)``, ``R = tp / (tp + fn + 1e-12)``: an
    image without predicted positives has ``P = 0``, one without positive
    ground truth has ``R = 0`` (and ``P = 0`` too, as ``tp = 0``), so
    such images pull the averages down rather than being skipped.

    Args:
        tp: True positives per threshold.
        fp: False positives per threshold.
        actual: Positive ground-truth pixels (``tp + fn``).

    Returns:
        np.ndarray: ``(2, T)`` float64, precision then recall.
    """
    tp = np.asarray(tp, dtype=np.float64)
    fp = np.asarray(fp, dtype=np.float64)
    return np.stack(
        [tp / (tp + fp + ASTMT_EPS), tp / (float(actual) + ASTMT_EPS)])


def astmt_max_f(per_image: Sequence[np.ndarray]) -> float:
    """ASTMT / MTL-PyTorch ``maxF``: F1 of image-averaged P and R.

    ``F = 2 mP mR / (mP + mR + 1e-12)`` per threshold with ``mP`` / ``mR``
    the means over images of :func:`astmt_precision_recall`, then the
    maximum over thresholds.

    Args:
        per_image: One ``(2, T)`` array per image.

    Returns:
        float: The maximum in percent, nan without images.
    """
    if not per_image:
        return float('nan')
    mean_p, mean_r = np.mean(per_image, axis=0)
    f = 2 * mean_p * mean_r / (mean_p + mean_r + ASTMT_EPS)
    return float(f.max() * 100)
