"""Bring predicted logits back to a sample's original image.

Inference runs on the padded, possibly flipped input; the metric and the
output writers expect maps at ``ori_shape`` in the original orientation
(``docs/design.md`` sections 1 and 4). These functions undo the geometry,
one step each, on ``(1, C, H, W)`` logits.
"""
from typing import Optional

from mmseg.models.utils import resize
from torch import Tensor

from ...tasks import TaskSpec

__all__ = ['remove_padding', 'undo_flip', 'restore_logits']


def remove_padding(logits: Tensor, meta: dict) -> Tensor:
    """Crop the padding off logits at the padded input size.

    Args:
        logits: ``(N, C, H, W)`` logits.
        meta: Metainfo with ``img_padding_size`` (preferred) or
            ``padding_size``, both ``[left, right, top, bottom]``; no
            padding if neither is present.

    Returns:
        Tensor: A view of the unpadded region.
    """
    if 'img_padding_size' in meta:
        padding = meta['img_padding_size']
    else:
        padding = meta.get('padding_size', [0, 0, 0, 0])
    left, right, top, bottom = (int(p) for p in padding)
    height, width = logits.shape[-2:]
    return logits[..., top:height - bottom, left:width - right]


def undo_flip(logits: Tensor,
              meta: dict,
              spec: Optional[TaskSpec] = None) -> Tensor:
    """Undo the flip recorded in ``meta`` (``flip``, ``flip_direction``).

    A horizontal flip also multiplies the channels by the task's
    ``hflip_sign`` (normals negate x), so undoing a flip twice is the
    identity.

    Args:
        logits: ``(N, C, H, W)`` logits.
        meta: Metainfo of the sample.
        spec: The task's table entry; None means no value changes.

    Returns:
        Tensor: The logits in the original orientation.

    Raises:
        ValueError: On an unknown flip direction or a ``hflip_sign`` that
            does not match the channels.
    """
    if not meta.get('flip', False):
        return logits
    direction = meta.get('flip_direction')
    if direction == 'vertical':
        return logits.flip(dims=(-2, ))
    if direction != 'horizontal':
        raise ValueError("flip_direction must be 'horizontal' or "
                         f"'vertical', got {direction!r}")
    logits = logits.flip(dims=(-1, ))
    if spec is None or spec.hflip_sign is None:
        return logits
    sign = logits.new_tensor(spec.hflip_sign)
    if sign.numel() != logits.shape[-3]:
        raise ValueError(f'{spec.name}: hflip_sign {spec.hflip_sign} does '
                         f'not match {logits.shape[-3]} output channels')
    return logits * sign.view(-1, 1, 1)


def restore_logits(logits: Tensor,
                   meta: dict,
                   spec: TaskSpec,
                   align_corners: bool = False) -> Tensor:
    """Un-pad, un-flip and resize logits to the sample's ``ori_shape``.

    Args:
        logits: ``(1, C, H, W)`` logits at the padded input size.
        meta: The sample's metainfo.
        spec: The task's table entry.
        align_corners: ``align_corners`` of the bilinear resize.

    Returns:
        Tensor: ``(1, C, H_ori, W_ori)`` logits (at the unpadded size if
        ``meta`` has no ``ori_shape``).
    """
    logits = undo_flip(remove_padding(logits, meta), meta, spec)
    ori_shape = tuple(meta.get('ori_shape', logits.shape[-2:]))[:2]
    return resize(
        logits,
        size=ori_shape,
        mode='bilinear',
        align_corners=align_corners,
        warning=False)
