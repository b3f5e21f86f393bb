"""Confusion-matrix accumulator for class-map tasks."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from prettytable import PrettyTable
from torch import Tensor

from ...tasks import CLASS, TaskSpec
from .base_task_evaluator import BaseTaskEvaluator, ImageStats, sum_stat

__all__ = ['ClassTaskEvaluator', 'resolve_class_names']


def resolve_class_names(task: str, dataset_meta: Optional[dict],
                        num_classes: Optional[int]) -> Optional[List[str]]:
    """Find the class names of a class-map task.

    Reads ``dataset_meta['task_classes'][task]`` only (mmseg's own
    ``classes`` key is left to mmseg's tools); without it, falls back to
    numeric names ``'0'..'C-1'`` when ``num_classes`` is given.

    Args:
        task: Task name.
        dataset_meta: The dataset's meta info (may be None).
        num_classes: The ``num_classes`` option of the task (may be None).

    Returns:
        list[str] | None: The names, or None if the count is unknown.

    Raises:
        ValueError: If the meta's class list and ``num_classes`` disagree.
    """
    task_classes = (dataset_meta or {}).get('task_classes') or {}
    names = task_classes.get(task)
    if names is not None:
        names = list(names)
        if num_classes is not None and num_classes != len(names):
            raise ValueError(
                f'task {task!r}: option num_classes={num_classes} but the '
                f'dataset meta lists {len(names)} classes')
        return names
    if num_classes is not None:
        return [str(i) for i in range(num_classes)]
    return None


class ClassTaskEvaluator(BaseTaskEvaluator):
    """Per-class IoU from confusion counts accumulated over the split.

    Definitions (as in the ASTMT / MTI-Net / Multi-Task-Transformer
    ``eval_semseg`` / ``eval_human_parts`` code):

    * ``IoU_c = TP_c / (TP_c + FP_c + FN_c)`` with counts summed over every
      valid pixel of the split; ``mIoU`` is the mean over **all** classes in
      percent. A class that appears neither in the predictions nor in the
      ground truth of the whole split has IoU 0 (the reference code divides
      by ``max(TP+FP+FN, 1e-8)``); mmseg's ``IoUMetric`` would drop it with a
      nan-mean instead.
    * ``aAcc = sum_c TP_c / #valid pixels`` in percent.

    Pixels whose ground truth is ``spec.ignore_value`` are excluded from
    every count, so an all-ignore image contributes nothing.

    Args:
        spec: The task's table entry (kind ``'class'``).
        num_classes: Number of classes; needed unless the dataset meta has a
            class list for the task.
        skip_background_only: Skip images whose ground truth is 0
            everywhere (no ignore, no other class), as the offline
            ``eval_human_parts.py`` of ASTMT / MTI-Net does. The reference
            data code turns such a human-parts map into all-ignore before
            any meter sees it (and mmvmt's PASCAL conversion writes an
            image without part-annotated persons as all 255), so with
            either data such images contribute nothing anyway; the
            default False counts an all-0 map that does reach the metric
            as background pixels, as any confusion-matrix meter would.
    """

    kind = CLASS
    metrics = ('mIoU', 'aAcc')
    fold_keys = ('confusion', )

    def __init__(self,
                 spec: TaskSpec,
                 num_classes: Optional[int] = None,
                 skip_background_only: bool = False) -> None:
        super().__init__(spec)
        if num_classes is not None and (not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError(f'task {spec.name!r}: num_classes must be a '
                             f'positive int, got {num_classes!r}')
        self.num_classes_option = num_classes
        self.skip_background_only = skip_background_only
        self.class_names = resolve_class_names(spec.name, None, num_classes)

    def set_dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Take the class names from the dataset meta (see
        :func:`resolve_class_names`)."""
        self.class_names = resolve_class_names(self.task, dataset_meta,
                                               self.num_classes_option)

    @property
    def num_classes(self) -> int:
        """Number of classes.

        Raises:
            ValueError: If neither the dataset meta nor the options give it.
        """
        if self.class_names is None:
            raise ValueError(
                f'number of classes of task {self.task!r} is unknown: the '
                f'dataset meta has no task_classes[{self.task!r}] and '
                f'task_options[{self.task!r}] has no num_classes')
        return len(self.class_names)

    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Confusion counts ``confusion[gt, pred]`` over valid pixels.

        Args:
            pred: ``(1, H, W)`` integer class ids.
            gt: ``(1, H, W)`` class ids, ``ignore_value`` for ignored pixels.

        Returns:
            dict: ``confusion`` ``(C, C)`` int64 and ``n`` (valid pixels).

        Raises:
            ValueError: On shapes, float predictions or ids outside
                ``[0, C)``.
        """
        self.check_shapes(pred, gt, pred_channels=1)
        if pred.is_floating_point():
            raise ValueError(f'pred_{self.task} must hold integer class ids '
                             f'(argmax), got dtype {pred.dtype}')
        num_classes = self.num_classes
        gt = gt.to(device=pred.device)
        valid = self.spec.valid_mask(gt)
        if self.skip_background_only and bool(
                valid.all()) and not bool(gt.any()):
            valid = torch.zeros_like(valid)
        gt_v = gt[valid].long()
        pred_v = pred[valid].long()
        for name, ids in (('gt', gt_v), ('pred', pred_v)):
            if ids.numel() and (int(ids.min()) < 0
                                or int(ids.max()) >= num_classes):
                raise ValueError(
                    f'{name}_{self.task} holds class ids in '
                    f'[{int(ids.min())}, {int(ids.max())}] at valid pixels; '
                    f'expected [0, {num_classes - 1}] or '
                    f'{self.spec.ignore_value} (ignore)')
        confusion = torch.bincount(
            gt_v * num_classes + pred_v, minlength=num_classes**2)
        return dict(
            confusion=confusion.reshape(num_classes,
                                        num_classes).cpu().numpy(),
            n=np.int64(gt_v.numel()))

    def _per_class(self, stats: Sequence[ImageStats]) -> Dict[str, Any]:
        """Per-class IoU / Acc (fractions) and totals from the counts."""
        num_classes = self.num_classes
        confusion = sum_stat(stats, 'confusion')
        if confusion.ndim == 0:
            confusion = np.zeros((num_classes, num_classes), np.int64)
        tp = np.diag(confusion).astype(np.float64)
        gt_count = confusion.sum(axis=1).astype(np.float64)
        pred_count = confusion.sum(axis=0).astype(np.float64)
        union = gt_count + pred_count - tp
        iou = np.divide(tp, union, out=np.zeros_like(tp), where=union > 0)
        with np.errstate(invalid='ignore', divide='ignore'):
            acc = tp / gt_count
        return dict(iou=iou, acc=acc, tp=tp.sum(), total=confusion.sum())

    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """``mIoU`` and ``aAcc`` in percent (nan if the split has no valid
        pixel for this task)."""
        per_class = self._per_class(stats)
        if per_class['total'] == 0:
            return dict(mIoU=float('nan'), aAcc=float('nan'))
        return dict(
            mIoU=float(per_class['iou'].mean() * 100),
            aAcc=float(per_class['tp'] / per_class['total'] * 100))

    def log_details(self, stats: Sequence[ImageStats]) -> None:
        """Log a per-class IoU / Acc table like mmseg's ``IoUMetric``."""
        per_class = self._per_class(stats)
        table = PrettyTable()
        table.add_column('Class', list(self.class_names))
        table.add_column('IoU', np.round(per_class['iou'] * 100, 2).tolist())
        table.add_column('Acc', np.round(per_class['acc'] * 100, 2).tolist())
        print_log(f'{self.task} per class results:', logger='current')
        print_log('\n' + table.get_string(), logger='current')
