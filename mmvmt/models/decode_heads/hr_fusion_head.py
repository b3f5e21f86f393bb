"""The decoder of the published Swin multi-task PEFT tables, per task."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from torch import Tensor

from .task_head import TaskHeadMixin, task_head_args

__all__ = ['HRFusionHead']

#: The public fusion width as a multiple of ``sum(down_channels)``.
PUBLIC_EXPANSION = 4


@MODELS.register_module()
class HRFusionHead(TaskHeadMixin, BaseDecodeHead):
    """Per-scale 1x1 downsamplers and an HRNet-style fusion, for one task.

    The structure of the decoder behind the published Swin multi-task PEFT
    tables (scale-lab/MTLoRA: one ``Downsampler`` per task in
    ``models/swin_mtl.py``, then ``HighResolutionHead`` of
    ``models/seg_hrnet.py``), written on mmseg's ``BaseDecodeHead``:

    1. ``downsample[i]``: a 1x1 conv without bias from ``in_channels[i]`` to
       ``down_channels[i]`` (``[18, 36, 72, 144]``: HRNet-W18's widths);
    2. every map upsampled bilinearly to the first one's size, concatenated
       (``C = sum(down_channels)`` channels);
    3. ``fusion_conv``: 1x1 conv with bias ``C -> H`` (``channels``, the
       public ``4 C`` by default), then ``fusion_norm`` and ReLU;
    4. ``conv_seg``: 1x1 conv with bias ``H -> K`` (the task's outputs).

    Trainable parameters (the public count with the public taps is a test):

    ``P = sum_i d_i c_i + H (C + K + 3) + K``,  ``C = sum_i c_i``, with
    ``d_i = in_channels``, ``c_i = down_channels``, ``H = channels``: the
    downsamplers, the fusion conv's ``H (C + 1)``, the norm's ``2 H`` and
    ``conv_seg``'s ``(H + 1) K``. With MTLoRA's taps
    (after patch merging, ``d = [192, 384, 768, 768]``) and the defaults,
    ``sum d_i c_i = 183,168`` and ``H = 1,080``, so ``P = 478,008 + 1,081 K``;
    PASCAL's four tasks (``K`` = 21, 7, 1, 3) give
    ``4 * 478,008 + 1,081 * 32 = 1,946,624``, the published "decoder-only
    1.94M". With mmseg's taps (``d = [96, 192, 384, 768]``) the
    downsamplers hold 146,880 per task (1,801,472 for the four tasks).

    The output has the first map's resolution (stride 8 with MTLoRA's taps,
    4 with mmseg's); the loss and prediction paths resize it bilinearly to
    the ground truth / image, as the public ``DecoderGroup`` does.

    Args:
        task: Task name in :data:`mmvmt.tasks.TASKS`.
        in_channels: Channels of the selected input maps (the backbone's
            taps; set by the config).
        down_channels: Width of each map after its downsampler; one per
            input. Defaults to ``(18, 36, 72, 144)``.
        channels: Width of the fusion conv; None (the default) takes the
            public head's ``4 * sum(down_channels)``.
        num_classes: Number of classes; required for class-map tasks. For
            other tasks it defaults to (and must equal) the task's channels.
        in_index: Indices of the selected input maps.
        loss_decode: Loss config (dict or list of dicts); ``None`` takes the
            task table's default loss with ``loss_weight=1.0``.
        dropout_ratio: Dropout before ``conv_seg``. Defaults to 0 (the
            public head has none).
        norm_cfg: Norm of the fusion conv. Defaults to BN (the public head's
            ``BatchNorm2d``, momentum 0.1); use SyncBN under DDP to
            normalise over the total batch as the public one-GPU run does.
        act_cfg: Activation after the norm. Defaults to ReLU.
        **kwargs: Other ``BaseDecodeHead`` arguments (``align_corners``,
            ``init_cfg``, ...).

    Raises:
        KeyError: On an unknown task.
        ValueError: On a missing or contradicting ``num_classes``, or
            ``in_channels``, ``in_index`` and ``down_channels`` of different
            lengths.
    """

    def __init__(self,
                 task: str,
                 in_channels: Sequence[int] = (192, 384, 768, 768),
                 down_channels: Sequence[int] = (18, 36, 72, 144),
                 channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 loss_decode: Union[ConfigType, Sequence[ConfigType],
                                    None] = None,
                 dropout_ratio: float = 0.0,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 **kwargs) -> None:
        lengths = dict(
            in_channels=list(in_channels),
            in_index=list(in_index),
            down_channels=list(down_channels))
        if len({len(v) for v in lengths.values()}) != 1:
            raise ValueError('HRFusionHead: in_channels, in_index and '
                             'down_channels must have one entry per input '
                             f'map, got {lengths}')
        spec, out_channels, loss_decode = task_head_args(
            'HRFusionHead', task, num_classes, loss_decode, kwargs)
        fused = sum(down_channels)
        super().__init__(
            in_channels=list(in_channels),
            channels=PUBLIC_EXPANSION *
            fused if channels is None else channels,
            num_classes=out_channels,
            out_channels=out_channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            loss_decode=loss_decode,
            ignore_index=spec.ignore_value,
            dropout_ratio=dropout_ratio,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            **kwargs)
        self.task = task
        self.spec = spec
        self.down_channels = list(down_channels)
        self.downsample = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 1, bias=False)
            for c_in, c_out in zip(self.in_channels, self.down_channels))
        # conv (with bias, as the public head) -> norm -> act; not a
        # ConvModule, which drops or warns about a bias before a norm.
        self.fusion_conv = nn.Conv2d(fused, self.channels, 1, bias=True)
        self.fusion_norm = build_norm_layer(norm_cfg, self.channels)[1]
        self.fusion_act = build_activation_layer(act_cfg)

    @staticmethod
    def num_params(in_channels: Sequence[int],
                   out_channels: int,
                   down_channels: Sequence[int] = (18, 36, 72, 144),
                   channels: Optional[int] = None) -> int:
        """The closed-form parameter count of the class docstring.

        Args:
            in_channels: Channels of the input maps.
            out_channels: The task's outputs ``K``.
            down_channels: Widths after the downsamplers.
            channels: Fusion width; None for ``4 * sum(down_channels)``.

        Returns:
            int: ``sum_i d_i c_i + H (C + K + 3) + K``.
        """
        fused = sum(down_channels)
        hidden = PUBLIC_EXPANSION * fused if channels is None else channels
        return (sum(d * c for d, c in zip(in_channels, down_channels)) +
                hidden * (fused + out_channels + 3) + out_channels)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Downsample, fuse and classify the selected maps.

        Args:
            inputs: The backbone's maps (this task's).

        Returns:
            Tensor: ``(N, K, h, w)`` logits at the first map's resolution.
        """
        feats = [
            down(x)
            for down, x in zip(self.downsample, self._transform_inputs(inputs))
        ]
        size = feats[0].shape[2:]
        feats = [feats[0]] + [
            resize(
                x,
                size=size,
                mode='bilinear',
                align_corners=self.align_corners) for x in feats[1:]
        ]
        x = self.fusion_act(
            self.fusion_norm(self.fusion_conv(torch.cat(feats, dim=1))))
        return self.cls_seg(x)
