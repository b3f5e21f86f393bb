"""A light multi-scale fusion head that serves any dense task."""
from typing import Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads import SegformerHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType

from .task_head import TaskHeadMixin, task_head_args

__all__ = ['MultiScaleFusionHead']

#: Module names of the head before it was built on ``SegformerHead``;
#: checkpoints that use them still load.
RENAMED_MODULES = {'reduce_convs.': 'convs.', 'fuse_conv.': 'fusion_conv.'}


@MODELS.register_module()
class MultiScaleFusionHead(TaskHeadMixin, SegformerHead):
    """Multi-scale fusion head for one dense task.

    mmvmt's own decoder (the default setting): mmseg's ``SegformerHead``
    with a 3x3 fusion conv. Every selected scale is reduced to ``channels``
    by a 1x1 ConvModule (``convs``), upsampled bilinearly to the first
    (finest, 1/4) scale, concatenated, fused by a 3x3 conv-norm-act
    (``fusion_conv``) and projected to the task's output channels by a 1x1
    conv (``conv_seg``). The published tables use another decoder,
    :class:`~mmvmt.models.decode_heads.HRFusionHead` (the literature
    setting).

    The loss path is :class:`~.task_head.TaskHeadMixin`'s; losses that take
    a ``task`` get this head's.

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
        spec, out_channels, loss_decode = task_head_args(
            'MultiScaleFusionHead', task, num_classes, loss_decode, kwargs)
        if len(in_channels) != len(in_index):
            raise ValueError(
                f'MultiScaleFusionHead: in_channels {list(in_channels)} and '
                f'in_index {list(in_index)} must have the same length')
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            num_classes=out_channels,
            out_channels=out_channels,
            in_index=list(in_index),
            loss_decode=loss_decode,
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


def _rename_old_keys(module: nn.Module, state_dict: dict, prefix: str,
                     *args) -> None:
    """Load-state-dict pre-hook: map :data:`RENAMED_MODULES` to new names."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        name = key[len(prefix):]
        for old, new in RENAMED_MODULES.items():
            if name.startswith(old):
                state_dict[prefix + new + name[len(old):]] = \
                    state_dict.pop(key)
