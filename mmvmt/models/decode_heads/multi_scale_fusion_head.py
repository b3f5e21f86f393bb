"""A light multi-scale fusion head that serves any dense task."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads import SegformerHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from ...tasks import get_task
from ..mmseg_compat import config_class, takes_argument

__all__ = ['MultiScaleFusionHead']

#: Module names of the head before it was built on ``SegformerHead``;
#: checkpoints that use them still load.
RENAMED_MODULES = {'reduce_convs.': 'convs.', 'fuse_conv.': 'fusion_conv.'}


@MODELS.register_module()
class MultiScaleFusionHead(SegformerHead):
    """Multi-scale fusion head for one dense task.

    mmseg's ``SegformerHead`` with a 3x3 fusion conv, the decoder family of
    the Swin multi-task PEFT literature (MTLoRA's HRNet-style head): every
    selected scale is reduced to ``channels`` by a 1x1 ConvModule
    (``convs``), upsampled bilinearly to the first (finest, 1/4) scale,
    concatenated, fused by a 3x3 conv-norm-act (``fusion_conv``) and
    projected to the task's output channels by a 1x1 conv (``conv_seg``).

    Class-map tasks (``semseg``, ``human_parts``) use mmseg's standard loss
    path (cross-entropy, ``acc_seg``). Binary, normals and depth tasks compute
    their configured losses from logits resized to the ground truth, over
    the pixels the task table marks valid, without ``acc_seg``; losses that
    take a ``task`` get this head's.

    Args:
        task: Task name in :data:`mmvmt.tasks.TASKS`.
        in_channels: Channels of the selected input maps.
        channels: Width of the reduced maps and of the fusion conv.
            Defaults to 64.
        num_classes: Number of classes; required for class-map tasks. For other
            tasks it defaults to (and must equal) the task's channels.
        in_index: Indices of the selected input maps.
        loss_decode: Loss config (dict or list of dicts); ``None`` takes the
            task table's default loss with ``loss_weight=1.0`` (the task weight
            is applied by the segmentor).
        dropout_ratio: Dropout before ``conv_seg``. Defaults to 0 (the
            reference head has none).
        norm_cfg: Norm layer config. Defaults to BN.
        **kwargs: Other ``SegformerHead`` / ``BaseDecodeHead`` arguments
            (``act_cfg``, ``align_corners``, ``interpolate_mode``,
            ``init_cfg``, ...). ``conv_cfg`` reaches the fusion conv only
            (``SegformerHead`` builds its 1x1 convs without it).

    Raises:
        KeyError: On an unknown task.
        ValueError: On a missing ``num_classes`` for a class-map task, a
            ``num_classes`` that contradicts the task table, or mismatched
            ``in_channels``/``in_index``.
    """

    def __init__(self,
                 task: str,
                 in_channels: Sequence[int] = (96, 192, 384, 768),
                 channels: int = 64,
                 num_classes: Optional[int] = None,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 loss_decode: Union[ConfigType, Sequence[ConfigType],
                                    None] = None,
                 dropout_ratio: float = 0.0,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 **kwargs) -> None:
        spec = get_task(task)
        out_channels = spec.out_channels(num_classes)
        if num_classes is not None and num_classes != out_channels:
            raise ValueError(
                f'MultiScaleFusionHead: task {task!r} has {out_channels} '
                f'output channels, got num_classes={num_classes}')
        if len(in_channels) != len(in_index):
            raise ValueError(
                f'MultiScaleFusionHead: in_channels {list(in_channels)} and '
                f'in_index {list(in_index)} must have the same length')
        if loss_decode is None:
            loss_decode = dict(spec.loss, loss_weight=1.0)
        # 1-channel outputs (sal, edge, depth) need a threshold to silence
        # BaseDecodeHead's binary-segmentation warning; it is never used.
        kwargs.setdefault('threshold', 0.5 if out_channels == 1 else None)
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            num_classes=out_channels,
            out_channels=out_channels,
            in_index=list(in_index),
            loss_decode=_with_task(loss_decode, task),
            ignore_index=spec.ignore_value,
            dropout_ratio=dropout_ratio,
            norm_cfg=norm_cfg,
            **kwargs)
        self.task = task
        self.spec = spec
        self.fusion_conv = ConvModule(
            channels * len(self.in_channels),
            channels,
            3,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.register_load_state_dict_pre_hook(_rename_old_keys)

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


def _rename_old_keys(module: nn.Module, state_dict: dict, prefix: str,
                     *args) -> None:
    """Load-state-dict pre-hook: map :data:`RENAMED_MODULES` to new names."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        name = key[len(prefix):]
        for old, new in RENAMED_MODULES.items():
            if name.startswith(old):
                state_dict[prefix + new + name[len(old):]] = \
                    state_dict.pop(key)
