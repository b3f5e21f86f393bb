"""Normalise, pad and stack images and every task's ground truth."""
from numbers import Number
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ..tasks import TASKS

__all__ = ['MultiTaskDataPreProcessor', 'stack_multitask_batch']


def _target_size(sizes: List[Tuple[int, int]], size: Optional[Sequence[int]],
                 size_divisor: Optional[int]) -> Tuple[int, int]:
    """Common padded ``(H, W)`` of a batch, as mmseg's ``stack_batch``.

    Args:
        sizes: ``(H, W)`` of every image.
        size: Fixed ``(H, W)`` to pad to.
        size_divisor: Pad the batch maximum up to a multiple of this.

    Returns:
        tuple[int, int]: The target ``(H, W)``.

    Raises:
        ValueError: If both ``size`` and ``size_divisor`` are given, or an
            image is larger than ``size``.
    """
    if size is not None and size_divisor is not None:
        raise ValueError('only one of size and size_divisor may be given, '
                         f'got size={size}, size_divisor={size_divisor}')
    if size is not None:
        target = (int(size[-2]), int(size[-1]))
        too_big = [s for s in sizes if s[0] > target[0] or s[1] > target[1]]
        if too_big:
            raise ValueError(f'image size(s) {too_big} exceed the fixed '
                             f'padding size {target}')
        return target
    height = max(s[0] for s in sizes)
    width = max(s[1] for s in sizes)
    if size_divisor is not None and size_divisor > 1:
        height = -(-height // size_divisor) * size_divisor
        width = -(-width // size_divisor) * size_divisor
    return height, width


def _pad_task_gts(data_sample, img_size: Tuple[int, int],
                  padding: List[int]) -> None:
    """Pad every ``gt_<task>`` of a sample with the task's ignore value.

    Args:
        data_sample: A :class:`MultiTaskDataSample`.
        img_size: ``(H, W)`` of the sample's (unpadded) image.
        padding: ``[left, right, top, bottom]``.

    Raises:
        ValueError: If a map is not ``(gt_channels, H, W)`` with the image's
            ``H, W``; the message names the task and the image.
    """
    for spec in TASKS.values():
        if spec.gt_key not in data_sample:
            continue
        field = getattr(data_sample, spec.gt_key)
        gt = field.data
        expected = (spec.gt_channels, *img_size)
        if tuple(gt.shape) != expected:
            raise ValueError(
                f'{spec.gt_key} of image '
                f'{data_sample.metainfo.get("img_path")!r} has shape '
                f'{tuple(gt.shape)}, expected {expected} (channels, image '
                'height, image width)')
        del field.data
        field.data = F.pad(gt, padding, value=spec.ignore_value)


def stack_multitask_batch(
    inputs: List[torch.Tensor],
    data_samples: Optional[list] = None,
    size: Optional[Sequence[int]] = None,
    size_divisor: Optional[int] = None,
    pad_val: Number = 0,
    pad_gt: bool = True,
) -> Tuple[torch.Tensor, List[Dict[str, Any]]]:
    """Pad images (and task maps) bottom/right to one size and stack them.

    The target size follows mmseg's ``stack_batch``: ``size`` if given,
    else the batch maximum rounded up to ``size_divisor`` (unlike mmseg,
    neither given means the plain batch maximum). Every ``gt_<task>`` is
    padded with its task's :attr:`~mmvmt.tasks.TaskSpec.ignore_value`
    (``docs/design.md`` section 2). mmseg's ``stack_batch`` is not reused:
    it pads only its own maps, all with one ``seg_pad_val``.

    Args:
        inputs: ``(C, H, W)`` images.
        data_samples: :class:`MultiTaskDataSample` per image, or ``None``.
            Their metainfo gets ``batch_input_shape``, ``pad_shape`` (both
            ``(H, W)`` of the stacked batch) and ``padding_size``
            (``[left, right, top, bottom]``, as mmseg).
        size: Fixed padding size ``(H, W)``.
        size_divisor: Divisor of the padded size.
        pad_val: Image padding value.
        pad_gt: Whether to pad the ground truth (False in test mode, where
            it stays at original resolution).

    Returns:
        tuple: The ``(N, C, H, W)`` batch and the per-sample pad info dicts
        (the keys written into the metainfo).

    Raises:
        ValueError: On images with different channel counts or dimensions,
            a bad size setting, or a ground-truth map whose shape does not
            match its image.
    """
    if not inputs or any(img.ndim != 3 for img in inputs):
        raise ValueError('expected a non-empty list of (C, H, W) images, got '
                         f'shapes {[tuple(img.shape) for img in inputs]}')
    if len({img.shape[0] for img in inputs}) != 1:
        raise ValueError('all images of a batch must have the same channels, '
                         f'got {[img.shape[0] for img in inputs]}')
    if data_samples is not None and len(data_samples) != len(inputs):
        raise ValueError(f'got {len(inputs)} images but {len(data_samples)} '
                         'data samples')
    sizes = [(img.shape[-2], img.shape[-1]) for img in inputs]
    height, width = _target_size(sizes, size, size_divisor)

    padded, pad_infos = [], []
    for i, img in enumerate(inputs):
        padding = [0, width - img.shape[-1], 0, height - img.shape[-2]]
        padded.append(F.pad(img, padding, value=pad_val))
        pad_info = dict(
            batch_input_shape=(height, width),
            pad_shape=(height, width),
            padding_size=padding)
        if data_samples is not None:
            if pad_gt:
                _pad_task_gts(data_samples[i], sizes[i], padding)
            data_samples[i].set_metainfo(pad_info)
        pad_infos.append(pad_info)
    return torch.stack(padded, dim=0), pad_infos


@MODELS.register_module()
class MultiTaskDataPreProcessor(SegDataPreProcessor):
    """Data preprocessor for :class:`MultiTaskDataSample` batches.

    Same behaviour as mmseg's ``SegDataPreProcessor`` (BGR/RGB conversion,
    normalisation, bottom/right padding, ``test_cfg`` padding in test mode)
    except that, in training, every ``gt_<task>`` is padded with its own
    task's ignore value (see :func:`stack_multitask_batch`). In test mode
    only the images are padded (by ``test_cfg`` size/size_divisor, if
    given); ground truth stays at original resolution. ``padding_size``
    and ``pad_shape`` are always written into the samples' metainfo, so the
    segmentor can crop the padding off predictions.

    Args:
        mean: Pixel mean per channel. Defaults to None (no normalisation).
        std: Pixel std per channel. Defaults to None.
        size: Fixed padding size ``(H, W)`` in training.
        size_divisor: Divisor of the padded size in training.
        pad_val: Image padding value. Defaults to 0.
        seg_pad_val: Not supported (pad values come from the task table);
            must be None.
        bgr_to_rgb: Convert BGR images to RGB. Defaults to False.
        rgb_to_bgr: Convert RGB images to BGR. Defaults to False.
        batch_augments: Not supported for task maps; must be None.
        test_cfg: ``dict(size=...)`` or ``dict(size_divisor=...)`` for
            padding in test mode. Defaults to None (no padding; all images
            of a batch must then have the same size).

    Raises:
        ValueError: If ``seg_pad_val`` or ``batch_augments`` is given.
    """

    def __init__(self,
                 mean: Optional[Sequence[Number]] = None,
                 std: Optional[Sequence[Number]] = None,
                 size: Optional[tuple] = None,
                 size_divisor: Optional[int] = None,
                 pad_val: Number = 0,
                 seg_pad_val: Optional[Number] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 batch_augments: Optional[List[dict]] = None,
                 test_cfg: Optional[dict] = None) -> None:
        if seg_pad_val is not None:
            raise ValueError(
                'MultiTaskDataPreProcessor pads each gt_<task> with its '
                'TaskSpec.ignore_value; remove seg_pad_val from the config')
        if batch_augments is not None:
            raise ValueError('MultiTaskDataPreProcessor does not support '
                             'batch_augments')
        super().__init__(
            mean=mean,
            std=std,
            size=size,
            size_divisor=size_divisor,
            pad_val=pad_val,
            bgr_to_rgb=bgr_to_rgb,
            rgb_to_bgr=rgb_to_bgr,
            test_cfg=test_cfg)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise, pad and stack a batch.

        Args:
            data: ``dict(inputs=[CHW tensors], data_samples=[...])`` from
                the dataloader.
            training: Whether the batch is for training.

        Returns:
            dict: ``inputs`` (``(N, C, H, W)`` float) and ``data_samples``.

        Raises:
            ValueError: In training without data samples, on a ground-truth
                map that does not match its image, or (test mode, no
                ``test_cfg``) on images of different sizes.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples', None)
        if self.channel_conversion and inputs[0].size(0) == 3:
            inputs = [img[[2, 1, 0], ...] for img in inputs]
        inputs = [img.float() for img in inputs]
        if self._enable_normalize:
            inputs = [(img - self.mean) / self.std for img in inputs]

        if training:
            if data_samples is None:
                raise ValueError('data_samples are required in training')
            size, size_divisor = self.size, self.size_divisor
        else:
            test_cfg = self.test_cfg or {}
            size = test_cfg.get('size', None)
            size_divisor = test_cfg.get('size_divisor', None)
            if size is None and size_divisor is None and len(
                {tuple(img.shape[1:])
                 for img in inputs}) != 1:
                raise ValueError(
                    'images of a test batch must have the same size unless '
                    'test_cfg sets size or size_divisor, got '
                    f'{[tuple(img.shape[1:]) for img in inputs]}')
        inputs, _ = stack_multitask_batch(
            inputs,
            data_samples,
            size=size,
            size_divisor=size_divisor,
            pad_val=self.pad_val,
            pad_gt=training)
        return dict(inputs=inputs, data_samples=data_samples)
