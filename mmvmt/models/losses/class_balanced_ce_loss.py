"""Class-balanced cross-entropy of the class-map tasks.

mmseg 1.2.2's ``CrossEntropyLoss(class_weight=...)`` indexes the weight
vector with the raw labels and raises ``IndexError`` on the first ignore
pixel (255); this loss looks weights up for valid pixels only.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...tasks import CLASS
from .utils import BaseTaskLoss

__all__ = ['ClassBalancedCELoss', 'balanced_class_weights']


def balanced_class_weights(class_frequency: Sequence[float],
                           power: float) -> Tensor:
    """Per-class weights ``(f_max / f_c) ** power`` (float32).

    The most frequent class (the background of the class maps) gets 1,
    rarer classes more: ``power=1`` is inverse frequency, 0.5 its square
    root, 0 plain cross-entropy.

    Args:
        class_frequency: Pixel count (or frequency, any scale) of each
            class in the training set.
        power: Exponent in ``[0, 1]``.

    Returns:
        Tensor: ``(C,)`` float32 weights.

    Raises:
        ValueError: On an empty list, a count that is not positive and
            finite, or a power outside ``[0, 1]``.
    """
    freq = torch.as_tensor(class_frequency, dtype=torch.float64)
    if freq.dim() != 1 or freq.numel() == 0:
        raise ValueError('class_frequency must be a non-empty list, got '
                         f'{class_frequency!r}')
    bad = [i for i, f in enumerate(freq.tolist()) if not 0 < f < float('inf')]
    if bad:
        raise ValueError(
            f'class_frequency must be positive and finite; '
            f'class(es) {bad} have {[freq[i].item() for i in bad]}'
            ' (a class absent from the training set needs no '
            'weight: drop it from the class list)')
    if not 0 <= power <= 1:
        raise ValueError(f'power must be in [0, 1], got {power}')
    return (freq.max() / freq).pow(power).float()


@MODELS.register_module()
class ClassBalancedCELoss(BaseTaskLoss):
    """Cross-entropy with per-class weights from training-set frequencies.

    ``loss = sum_i w_{y_i} * CE_i / sum_i w_{y_i}`` over the valid pixels
    ``i`` (the weighted mean of PyTorch's ``cross_entropy(weight=...)``),
    with ``w_c = (f_max / f_c) ** power`` (:func:`balanced_class_weights`).
    The mean is over weights, so the loss stays on the scale of plain
    cross-entropy whatever the weights. Everything is computed in float32
    (fp16 logits are cast first): under CUDA autocast a weight sum in fp16
    overflows above 65,504 pixels. A batch without a valid pixel gives 0
    with a gradient path, so every parameter still gets a (zero) gradient.

    Args:
        class_frequency: Pixel count of each class in the training set, in
            class order (as many entries as the head has classes).
        power: Exponent of the frequency ratio, in ``[0, 1]``. Defaults to
            0.5.
        ignore_index: Label of ignored pixels; None takes the task's
            ``ignore_value`` (255). mmseg's heads pass their own at call
            time, which takes precedence.
        loss_weight: Factor applied to the loss value. Defaults to 1.0.
        loss_name: Name of the loss item. Defaults to 'loss_ce'.
        task: Class-map task whose table entry gives the ignore value.
            Defaults to ``'semseg'``.

    Raises:
        ValueError: On bad frequencies or power (see
            :func:`balanced_class_weights`).
    """

    default_task = 'semseg'
    kinds = (CLASS, )

    def __init__(self,
                 class_frequency: Sequence[float],
                 power: float = 0.5,
                 ignore_index: Optional[int] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce',
                 task: Optional[str] = None) -> None:
        super().__init__(loss_weight, loss_name, task, ignore_index)
        self.power = float(power)
        self.register_buffer(
            'class_weight',
            balanced_class_weights(class_frequency, self.power),
            persistent=False)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score: ``(N, C, H, W)`` logits (any floating dtype).
            label: ``(N, H, W)`` or ``(N, 1, H, W)`` class ids.
            weight: Optional ``(N, H, W)`` per-pixel weights.
            ignore_index: Overrides the ignore label for this call.
            **kwargs: Other arguments of mmseg's loss call (unused).

        Returns:
            Tensor: The weighted scalar loss (float32).

        Raises:
            ValueError: On mismatched shapes, or a valid label outside
                ``[0, C)`` (the message lists the labels seen).
        """
        name = type(self).__name__
        num_classes = self.class_weight.numel()
        if cls_score.dim() != 4 or cls_score.shape[1] != num_classes:
            raise ValueError(
                f'{name} ({self.spec.name}): expected (N, {num_classes}, H, '
                f'W) logits for the {num_classes} classes of '
                f'class_frequency, got shape {tuple(cls_score.shape)}')
        if label.dim() == 4 and label.shape[1] == 1:
            label = label.squeeze(1)
        if label.shape != cls_score.shape[:1] + cls_score.shape[2:]:
            raise ValueError(f'{name} ({self.spec.name}): labels of shape '
                             f'{tuple(label.shape)} do not fit logits of '
                             f'shape {tuple(cls_score.shape)}')
        ignore = self.spec.ignore_value if ignore_index is None else \
            ignore_index
        label = label.long()
        valid = label != int(ignore)
        if ((label < 0) | (label >= num_classes))[valid].any():
            seen = sorted(torch.unique(label[valid]).tolist())
            raise ValueError(
                f'{name} ({self.spec.name}): labels must be in [0, '
                f'{num_classes}) or the ignore index {int(ignore)}, got '
                f'{seen}')
        target = torch.where(valid, label, torch.zeros_like(label))
        ce = F.cross_entropy(cls_score.float(), target, reduction='none')
        pixel_weight = self.class_weight.to(ce.device)[target] * valid
        if weight is not None:
            pixel_weight = pixel_weight * weight.float()
        total = (ce * pixel_weight).sum()
        # Zero weights give 0 / tiny = 0 (and a zero, finite gradient).
        loss = total / pixel_weight.sum().clamp(min=1e-12)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        """Extra repr."""
        weights = ', '.join(f'{w:.3g}' for w in self.class_weight.tolist())
        return (f'{super().extra_repr()}, power={self.power}, '
                f'class_weight=[{weights}]')
