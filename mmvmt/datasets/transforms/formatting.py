"""Pack an image and its per-task ground truth into a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import to_tensor
from mmcv.transforms.base import BaseTransform
from mmseg.registry import TRANSFORMS

from ...structures import MultiTaskDataSample
from ...tasks import TaskSpec, check_tasks, get_task

__all__ = ['PackMultiTaskInputs', 'gt_to_chw', 'gt_to_tensor']


def gt_to_chw(spec: TaskSpec, gt: np.ndarray) -> np.ndarray:
    """View a pipeline ground-truth map as ``(C, H, W)`` (no copy).

    Args:
        spec: The task.
        gt: ``HxW`` map (one-channel tasks) or ``HxWxC`` map.

    Returns:
        np.ndarray: ``(spec.gt_channels, H, W)`` view of ``gt``.

    Raises:
        ValueError: If the map's shape does not match ``spec.gt_channels``.
    """
    if spec.gt_channels == 1 and gt.ndim == 2:
        return gt[None]
    if gt.ndim == 3 and gt.shape[-1] == spec.gt_channels:
        return gt.transpose(2, 0, 1)
    expected = 'HxW' if spec.gt_channels == 1 else f'HxWx{spec.gt_channels}'
    raise ValueError(f'gt_{spec.name} must be an {expected} map, got '
                     f'shape {gt.shape}')


def gt_to_tensor(spec: TaskSpec, gt: np.ndarray) -> torch.Tensor:
    """Convert a pipeline ground-truth map to its ``(C, H, W)`` tensor.

    Integer maps (class and binary tasks) become ``int64`` like mmseg's
    ``gt_sem_seg``; float maps (normals, depth) become ``float32``.
    ``HxWx3`` maps are transposed to ``3xHxW``.

    Args:
        spec: The task.
        gt: ``HxW`` map (one-channel tasks) or ``HxWxC`` map.

    Returns:
        Tensor: Contiguous ``(spec.gt_channels, H, W)`` tensor.

    Raises:
        ValueError: If the map's shape does not match ``spec.gt_channels``.
    """
    chw = gt_to_chw(spec, gt)
    integer = np.issubdtype(np.dtype(spec.gt_dtype), np.integer)
    dtype = np.int64 if integer else np.float32
    return to_tensor(np.ascontiguousarray(chw, dtype=dtype))


@TRANSFORMS.register_module()
class PackMultiTaskInputs(BaseTransform):
    """Pack the image and every task's ground truth for the model.

    Like mmseg's :class:`~mmseg.datasets.transforms.PackSegInputs`, but the
    data sample is a :class:`~mmvmt.structures.MultiTaskDataSample` holding
    one ``gt_<task>`` :class:`PixelData` per task of ``results['tasks']``
    (shapes and dtypes: see :func:`gt_to_tensor`).

    Either every requested task has its ``results['gt_<task>']`` or none
    has (inference pipelines that load no annotations); a partial set is an
    error. Maps present for tasks not in ``results['tasks']`` are not
    packed. Without ``results['tasks']`` only the image and meta
    information are packed.

    Args:
        meta_keys: Keys of ``results`` copied into the sample's metainfo.
            Defaults to PackSegInputs' keys plus ``'tasks'``.

    Returns:
        dict: ``{'inputs': CHW tensor, 'data_samples': MultiTaskDataSample}``.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_path', 'seg_map_path', 'ori_shape',
                                    'img_shape', 'pad_shape', 'scale_factor',
                                    'flip', 'flip_direction',
                                    'reduce_zero_label', 'tasks')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def _pack_img(img: np.ndarray) -> torch.Tensor:
        """HxW(xC) image -> contiguous CxHxW tensor (as PackSegInputs)."""
        if img.ndim < 3:
            img = np.expand_dims(img, -1)
        return to_tensor(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> dict:
        """Pack the inputs and the ground truth.

        Args:
            results: Pipeline results.

        Returns:
            dict: ``inputs`` (if an image is present) and ``data_samples``.

        Raises:
            KeyError: If the ground truth of some but not all requested
                tasks is present; the message names the task and image.
            ValueError: If a ground-truth map has the wrong shape.
        """
        packed = dict()
        if 'img' in results:
            packed['inputs'] = self._pack_img(results['img'])

        data_sample = MultiTaskDataSample()
        tasks = results.get('tasks')
        tasks = check_tasks(tasks, owner='PackMultiTaskInputs') if tasks \
            else ()
        specs = [get_task(t) for t in tasks]
        missing = [s.name for s in specs if results.get(s.gt_key) is None]
        if len(missing) < len(specs):
            if missing:
                raise KeyError(
                    f'PackMultiTaskInputs: no ground truth for task(s) '
                    f'{missing} (results[{"gt_" + missing[0]!r}]) of image '
                    f'{results.get("img_path")!r}; requested tasks: '
                    f'{list(tasks)}')
            for spec in specs:
                data_sample.set_task_gt(
                    spec.name, gt_to_tensor(spec, results[spec.gt_key]))

        data_sample.set_metainfo(
            {key: results[key]
             for key in self.meta_keys if key in results})
        packed['data_samples'] = data_sample
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
