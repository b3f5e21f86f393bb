"""What makes an mmseg decode head serve any task of the task table."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from ...tasks import TaskSpec, get_task
from ..losses import as_float32
from ..mmseg_compat import config_class, takes_argument

__all__ = ['TaskHeadMixin', 'task_head_args']


def task_head_args(head: str, task: str, num_classes: Optional[int],
                   loss_decode: Union[ConfigType, Sequence[ConfigType], None],
                   kwargs: dict) -> Tuple[TaskSpec, int, Union[dict, list]]:
    """The task's spec, output channels and loss configs for a head.

    Also sets ``kwargs['threshold']`` for 1-channel outputs (it silences
    ``BaseDecodeHead``'s binary-segmentation warning and is never used).

    Args:
        head: Name of the head class, for error messages.
        task: Task name in :data:`mmvmt.tasks.TASKS`.
        num_classes: Number of classes; required for class-map tasks; for
            other tasks None or the task's channels.
        loss_decode: Loss config(s); None takes the task table's default
            loss with ``loss_weight=1.0`` (the segmentor applies the task
            weight).
        kwargs: The head's remaining ``BaseDecodeHead`` arguments (changed
            in place).

    Returns:
        tuple: The task's spec, its output channels, and the loss configs
        with ``task`` set in every loss that takes one.

    Raises:
        KeyError: On an unknown task.
        ValueError: On a missing ``num_classes`` for a class-map task or a
            ``num_classes`` that contradicts the task table.
    """
    spec = get_task(task)
    out_channels = spec.out_channels(num_classes)
    if num_classes is not None and num_classes != out_channels:
        raise ValueError(f'{head}: task {task!r} has {out_channels} output '
                         f'channels, got num_classes={num_classes}')
    if loss_decode is None:
        loss_decode = dict(spec.loss, loss_weight=1.0)
    kwargs.setdefault('threshold', 0.5 if out_channels == 1 else None)
    return spec, out_channels, _with_task(loss_decode, task)


class TaskHeadMixin:
    """Task-aware ``loss_by_feat`` for an mmseg ``BaseDecodeHead``.

    Put it before the mmseg head class in the bases and set ``self.task`` /
    ``self.spec`` in ``__init__`` (:func:`task_head_args` gives them).
    Class-map tasks (``semseg``, ``human_parts``) keep mmseg's loss path
    (cross-entropy, ``acc_seg``). Binary, normals and depth tasks compute
    their configured losses from logits resized to the ground truth, over
    the pixels the task table marks valid, without ``acc_seg``. Logits are
    cast to float32 first (AMP heads emit float16).
    """

    task: str
    spec: TaskSpec

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Compute the task's losses.

        Class-map tasks use ``BaseDecodeHead.loss_by_feat`` (with
        ``acc_seg``). Other tasks resize the logits bilinearly to the ground
        truth and apply every configured loss; items with the same
        ``loss_name`` are summed.

        Args:
            seg_logits: ``(N, C, h, w)`` head outputs.
            batch_data_samples: Samples whose ``gt_sem_seg`` holds the task's
                ``(C_gt, H, W)`` ground truth.

        Returns:
            dict[str, Tensor]: Loss items keyed by ``loss_name``.

        Raises:
            ValueError: If the ground truth has the wrong number of channels.
        """
        # float32 from here on: the losses' sums and counts overflow in
        # float16 above 65,504 (mmseg's cross-entropy included; CUDA
        # autocast covers some of these ops, not a cast in a loss).
        seg_logits = as_float32(seg_logits)
        if self.spec.is_class_map:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        gt = self._stack_batch_gt(batch_data_samples)
        if gt.dim() != 4 or gt.shape[1] != self.spec.gt_channels:
            raise ValueError(
                f'{self.task}: expected ground truth of shape (N, '
                f'{self.spec.gt_channels}, H, W), got {tuple(gt.shape)}')
        seg_logits = resize(
            seg_logits,
            size=gt.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        losses = dict()
        for loss_fn in self._loss_modules():
            value = loss_fn(seg_logits, gt)
            name = loss_fn.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    def _loss_modules(self) -> List[nn.Module]:
        """Return the configured losses as a list."""
        if isinstance(self.loss_decode, nn.ModuleList):
            return list(self.loss_decode)
        return [self.loss_decode]


def _with_task(loss_decode: Union[ConfigType, Sequence[ConfigType]],
               task: str) -> Union[dict, List[dict]]:
    """Set ``task`` in every loss config whose class takes it."""
    if isinstance(loss_decode, dict):
        cls = config_class(loss_decode)
        if cls is not None and takes_argument(cls, 'task'):
            return dict(loss_decode, task=loss_decode.get('task', task))
        return loss_decode
    return [_with_task(cfg, task) for cfg in loss_decode]
