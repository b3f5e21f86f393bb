"""Geometric transforms that also fix the VALUES of task maps.

mmseg's :class:`~mmseg.datasets.transforms.RandomFlip` and
:class:`~mmseg.datasets.transforms.Resize` already move every map named in
``results['seg_fields']`` together with the image (nearest interpolation,
dtypes kept). Two tasks also change their values under these operations,
as recorded in :data:`mmvmt.tasks.TASKS`:

* ``hflip_sign``: a horizontal flip mirrors the scene, so the x component
  of a surface normal changes sign.
* ``divide_by_scale``: showing the scene ``s`` times bigger makes it look
  ``s`` times nearer, so depth is divided by ``s``.

Only valid pixels (:meth:`mmvmt.tasks.TaskSpec.valid_mask`, applied to the
numpy maps directly) are changed; invalid pixels (the zero vector for
normals, 0 for depth) are kept bit-exactly.
"""
import math
from typing import Iterator, Optional, Sequence, Tuple, Union

import numpy as np
from mmseg.datasets.transforms import RandomFlip, Resize
from mmseg.registry import TRANSFORMS

from ...tasks import TASKS, TaskSpec
from .formatting import gt_to_chw

__all__ = ['MultiTaskRandomFlip', 'MultiTaskResize', 'task_maps']


def task_maps(results: dict) -> Iterator[Tuple[str, TaskSpec]]:
    """Iterate over the task maps registered in ``results['seg_fields']``.

    A seg field counts as a task map when it is named ``gt_<task>`` for a
    task of :data:`mmvmt.tasks.TASKS`; other fields (e.g. mmseg's
    ``gt_seg_map``) are skipped.

    Args:
        results: Pipeline results.

    Yields:
        tuple[str, TaskSpec]: The results key and the task's spec.
    """
    for key in results.get('seg_fields', []):
        if key.startswith('gt_') and key[3:] in TASKS and key in results:
            yield key, TASKS[key[3:]]


def _valid_hw(spec: TaskSpec, gt: np.ndarray) -> np.ndarray:
    """``HxW`` valid mask of an ``HxW`` / ``HxWxC`` map (shape checked)."""
    return spec.valid_mask(gt_to_chw(spec, gt))[0]


@TRANSFORMS.register_module()
class MultiTaskRandomFlip(RandomFlip):
    """mmseg ``RandomFlip`` that also flips the values of task maps.

    Every map in ``results['seg_fields']`` is flipped with the image (by
    mmseg's ``RandomFlip``). After each horizontal flip, the valid pixels of
    each ``gt_<task>`` whose task has an ``hflip_sign`` are multiplied by it
    per channel (normals: x is negated). Flipping twice is the identity,
    bit-exactly.

    The task table only defines the effect of a horizontal flip. Vertical
    and diagonal flips are therefore refused (``ValueError``) as soon as a
    task map with an ``hflip_sign`` is present, whether or not the random
    draw flips this sample; maps without a sign (class, binary, depth maps)
    may use every direction.

    ``swap_seg_labels`` is not supported: mmseg would apply it to every
    seg field, including float normal and depth maps.

    Args:
        prob: Flip probability, see :class:`mmcv.transforms.RandomFlip`.
        direction: Flip direction(s), see
            :class:`mmcv.transforms.RandomFlip`. Defaults to 'horizontal'.
        swap_seg_labels: Must be ``None``.

    Raises:
        ValueError: If ``swap_seg_labels`` is given.
    """

    def __init__(self,
                 prob: Optional[float] = None,
                 direction: Union[str, Sequence[str]] = 'horizontal',
                 swap_seg_labels: Optional[Sequence] = None) -> None:
        if swap_seg_labels is not None:
            raise ValueError(
                'MultiTaskRandomFlip does not support swap_seg_labels: mmseg '
                'would swap values in every task map, including float '
                'normals and depth')
        super().__init__(prob=prob, direction=direction)

    def _directions(self) -> Tuple[str, ...]:
        """Return the configured flip directions as a tuple."""
        if isinstance(self.direction, str):
            return (self.direction, )
        return tuple(self.direction)

    def _check_directions(self, results: dict) -> None:
        """Refuse non-horizontal flips of maps whose values change."""
        others = [d for d in self._directions() if d != 'horizontal']
        if not others:
            return
        signed = [
            key for key, spec in task_maps(results)
            if spec.hflip_sign is not None
        ]
        if signed:
            raise ValueError(
                f'MultiTaskRandomFlip: direction(s) {others} are not '
                f'supported for {signed}: the task table only defines how a '
                "horizontal flip changes their values; use "
                "direction='horizontal'")

    def _flip(self, results: dict) -> None:
        """Flip all maps, then apply the tasks' flip signs."""
        super()._flip(results)
        if results['flip_direction'] != 'horizontal':
            return
        for key, spec in task_maps(results):
            if spec.hflip_sign is None:
                continue
            gt = results[key]
            valid = _valid_hw(spec, gt)
            sign = np.asarray(spec.hflip_sign, dtype=gt.dtype)
            gt[valid] = gt[valid] * sign
            results[key] = gt

    def transform(self, results: dict) -> dict:
        """Randomly flip the image and every task map.

        Args:
            results: Pipeline results.

        Returns:
            dict: The results with ``flip`` and ``flip_direction`` set.

        Raises:
            ValueError: On a non-horizontal direction with normals present,
                or a task map with the wrong number of channels.
        """
        self._check_directions(results)
        return super().transform(results)


@TRANSFORMS.register_module()
class MultiTaskResize(Resize):
    """mmseg ``Resize`` that also rescales the values of task maps.

    The image and every map in ``results['seg_fields']`` are resized by
    mmseg's ``Resize`` (maps with nearest interpolation via OpenCV, which
    keeps ``uint8``/``float32`` dtypes and ``HxWx3`` normal maps intact).
    Afterwards the valid pixels of each ``gt_<task>`` whose task has
    ``divide_by_scale`` (depth) are divided by the geometric mean
    ``s = sqrt(w_scale * h_scale)`` of ``results['scale_factor']`` (mmcv
    stores ``(w_scale, h_scale)`` = new size / old size of THIS resize);
    invalid (0) depth stays 0.

    Usable directly (``dict(type='MultiTaskResize', scale=...)``) and
    through mmcv's ``RandomResize(resize_type='MultiTaskResize', ...)``.
    Arguments are those of :class:`mmcv.transforms.Resize`; only the
    ``'cv2'`` backend is accepted because Pillow cannot resize float
    ``HxWx3`` maps.

    Raises:
        ValueError: If ``backend`` is not ``'cv2'``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.backend != 'cv2':
            raise ValueError(
                "MultiTaskResize supports backend='cv2' only (float HxWx3 "
                f'normal maps cannot be resized by Pillow), got '
                f'{self.backend!r}')

    def transform(self, results: dict) -> dict:
        """Resize the image and every task map, then rescale depth values.

        Args:
            results: Pipeline results.

        Returns:
            dict: Resized results (``img``, seg fields, ``img_shape``,
            ``scale``, ``scale_factor``, ``keep_ratio`` updated).

        Raises:
            TypeError: If a map to be divided is not floating point.
        """
        results = super().transform(results)
        w_scale, h_scale = results['scale_factor']
        scale = math.sqrt(w_scale * h_scale)
        for key, spec in task_maps(results):
            if not spec.divide_by_scale:
                continue
            gt = results[key]
            if not np.issubdtype(gt.dtype, np.floating):
                raise TypeError(f'{key} must be a float map to be rescaled, '
                                f'got dtype {gt.dtype}')
            valid = _valid_hw(spec, gt)
            gt[valid] = gt[valid] / scale
            results[key] = gt
        return results
