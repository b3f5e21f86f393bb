"""Checked inputs of the binary-map evaluators (saliency, edges)."""
from typing import Tuple

import torch
from torch import Tensor

from ...tasks import TaskSpec

__all__ = ['prob_positive_valid']


def prob_positive_valid(pred: Tensor, gt: Tensor,
                        spec: TaskSpec) -> Tuple[Tensor, Tensor, Tensor]:
    """Check a probability / binary-gt pair; return ``prob, positive, valid``.

    Args:
        pred: ``(1, H, W)`` foreground probability in ``[0, 1]``.
        gt: ``(1, H, W)`` ground truth in ``{0, 1, spec.ignore_value}``.
        spec: The task's table entry (validity and messages).

    Returns:
        tuple: ``prob`` (the prediction in its float dtype, half precision
        raised to float32), then the ``positive`` (gt is 1) and ``valid``
        (:meth:`TaskSpec.valid_mask`) bool masks, all ``(1, H, W)`` on the
        prediction's device.

    Raises:
        ValueError: If the prediction is not a finite probability or the
            ground truth holds other values.
    """
    task = spec.name
    if not pred.is_floating_point():
        raise ValueError(f'pred_{task} must be a float probability map, got '
                         f'dtype {pred.dtype}')
    prob = pred if pred.dtype in (torch.float32, torch.float64) else \
        pred.float()
    if prob.numel() and not (bool(torch.isfinite(prob).all()) and float(
            prob.min()) >= 0 and float(prob.max()) <= 1):
        raise ValueError(
            f'pred_{task} must be a foreground probability in [0, 1] (apply '
            f'the sigmoid), got values in [{float(prob.min())}, '
            f'{float(prob.max())}]')
    gt = gt.to(prob.device)
    valid = spec.valid_mask(gt)
    positive = gt == 1
    other = valid & ~positive & (gt != 0)
    if bool(other.any()):
        bad = torch.unique(gt[other])[:5].tolist()
        raise ValueError(f'gt_{task} must hold 0, 1 or {spec.ignore_value} '
                         f'(ignore), found {bad}')
    return prob, positive, valid
