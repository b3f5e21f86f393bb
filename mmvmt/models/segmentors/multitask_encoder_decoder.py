"""One backbone, one head per task: the multi-task segmentor."""
import inspect
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ...structures import MultiTaskDataSample
from ...tasks import TaskSpec, check_tasks, get_task

__all__ = ['MultiTaskEncoderDecoder']

Feats = Union[Sequence[Tensor], Dict[str, Sequence[Tensor]]]


@MODELS.register_module()
class MultiTaskEncoderDecoder(BaseSegmentor):
    """Encoder-decoder with one decode head per dense task.

    The backbone runs once per batch. It returns either a dict ``task -> list
    of multi-scale maps`` (task-adapted backbones such as
    ``VMTSwinTransformer``) or one list shared by every head (stock backbones:
    full fine-tuning and decoder-only baselines). An optional neck is applied
    to the shared list, or to each task's list.

    Training (:meth:`loss`): for each task, light :class:`SegDataSample`
    copies carry the task's ground truth as ``gt_sem_seg`` and the sample's
    metainfo, and ``head.loss(feats, samples, train_cfg)`` computes the task's
    losses; so stock mmseg decode heads serve class-map tasks unchanged. Keys
    are prefixed ``'<task>.'`` and items whose key contains ``'loss'`` are
    multiplied by the task weight (other items, e.g. ``acc_seg``, are logged
    as they are).

    Inference (:meth:`predict`): ``head.predict`` gives logits at the padded
    input size; per sample the padding is removed (``img_padding_size`` if
    present, else ``padding_size``; ``[left, right, top, bottom]``), a flip is
    undone (a horizontal flip also multiplies the channels by the task's
    ``hflip_sign``, i.e. negates normal x), the logits are resized bilinearly
    to ``ori_shape`` and :meth:`TaskSpec.finalize` turns them into
    ``pred_<task>``.

    Args:
        backbone: Backbone config.
        decode_heads: Dict ``task -> head config``; its keys define the tasks.
            Heads whose constructor takes ``task`` get it from the key.
        neck: Optional neck config.
        task_weights: Overrides of the task table's default loss weights.
        train_cfg: Training config passed to the heads.
        test_cfg: Test config: ``mode`` ``'whole'`` (default) or ``'slide'``
            (with ``crop_size`` and ``stride``).
        data_preprocessor: Data preprocessor config.
        pretrained: Deprecated; path of backbone weights (as mmseg).
        output_logits: If True, predictions also keep the resized raw logits
            as ``seg_logits_<task>`` (memory heavy). Defaults to False.
        init_cfg: Initialisation config.

    Raises:
        KeyError: On an unknown task or head type.
        ValueError: On an empty/invalid head dict, task weights for tasks
            without a head, a head that cannot serve its task, or a backbone
            that does not provide features for a task.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_heads: Dict[str, ConfigType],
                 neck: OptConfigType = None,
                 task_weights: Optional[Dict[str, float]] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 output_logits: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(decode_heads, dict) or not decode_heads:
            raise ValueError('MultiTaskEncoderDecoder: decode_heads must be a '
                             'non-empty dict task -> head config, got '
                             f'{decode_heads!r}')
        self.tasks = check_tasks(
            list(decode_heads), owner='MultiTaskEncoderDecoder.decode_heads')
        if pretrained is not None:
            backbone = dict(backbone, pretrained=pretrained)
        self.backbone = MODELS.build(backbone)
        self._check_backbone_tasks()
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_heads = nn.ModuleDict(
            {t: self._build_head(t, decode_heads[t])
             for t in self.tasks})
        self.task_weights = self._init_task_weights(task_weights)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg if test_cfg is not None else dict(
            mode='whole')
        self.output_logits = output_logits

    # ------------------------------------------------------------- building
    def _check_backbone_tasks(self) -> None:
        """Fail early if a task-aware backbone lacks one of the tasks."""
        provided = getattr(self.backbone, 'tasks', None)
        if provided is None:
            return
        missing = [t for t in self.tasks if t not in provided]
        if missing:
            raise ValueError(
                f'MultiTaskEncoderDecoder: backbone '
                f'{type(self.backbone).__name__} provides tasks '
                f'{list(provided)} but decode_heads need {missing}')

    def _build_head(self, task: str, cfg: ConfigType) -> nn.Module:
        """Build the head of ``task`` and check that it can serve it."""
        cfg = dict(cfg)
        head_type = cfg.get('type')
        head_cls = head_type if inspect.isclass(head_type) else MODELS.get(
            head_type)
        if head_cls is None:
            raise KeyError(f'decode_heads[{task!r}]: unknown head type '
                           f'{cfg.get("type")!r} in the mmseg MODELS registry')
        if 'task' in inspect.signature(head_cls).parameters:
            cfg.setdefault('task', task)
        head = MODELS.build(cfg)
        spec = get_task(task)
        head_task = getattr(head, 'task', task)
        if head_task != task:
            raise ValueError(f'decode_heads[{task!r}] was configured for '
                             f'task {head_task!r}')
        if not spec.is_class_map:
            loss_by_feat = getattr(type(head), 'loss_by_feat', None)
            if loss_by_feat is BaseDecodeHead.loss_by_feat:
                raise ValueError(
                    f'decode_heads[{task!r}]: {type(head).__name__} uses '
                    f"mmseg's class-map loss path (cross-entropy, acc_seg); "
                    f'{spec.kind!r} tasks need a task-aware head such as '
                    'MultiScaleFusionHead')
            out_channels = getattr(head, 'out_channels', spec.channels)
            if out_channels != spec.channels:
                raise ValueError(
                    f'decode_heads[{task!r}] outputs {out_channels} channels, '
                    f'task {task!r} needs {spec.channels}')
        return head

    def _init_task_weights(
        self, task_weights: Optional[Dict[str, float]]
    ) -> Dict[str, float]:
        """Merge ``task_weights`` into the task table's defaults."""
        weights = {t: get_task(t).loss_weight for t in self.tasks}
        task_weights = dict(task_weights or {})
        unknown = [t for t in task_weights if t not in weights]
        if unknown:
            raise ValueError(f'task_weights given for {unknown}, which have '
                             f'no decode head; tasks: {list(self.tasks)}')
        for task, weight in task_weights.items():
            if weight < 0:
                raise ValueError(f'task_weights[{task!r}] must be >= 0, got '
                                 f'{weight}')
            weights[task] = float(weight)
        return weights

    @property
    def with_decode_head(self) -> bool:
        """bool: whether the segmentor has decode heads (always)."""
        return len(self.decode_heads) > 0

    # ------------------------------------------------------------ features
    def extract_feat(self, inputs: Tensor) -> Feats:
        """Run the backbone (and neck) once.

        Args:
            inputs: ``(N, 3, H, W)`` images.

        Returns:
            dict[str, list[Tensor]] | list[Tensor]: Per-task or shared
            multi-scale features.
        """
        x = self.backbone(inputs)
        if self.with_neck:
            if isinstance(x, dict):
                x = {t: self.neck(f) for t, f in x.items()}
            else:
                x = self.neck(x)
        return x

    def _task_feats(self, feats: Feats, task: str) -> Sequence[Tensor]:
        """Select the features of ``task``.

        Raises:
            KeyError: If the backbone returned a dict without ``task``.
        """
        if not isinstance(feats, dict):
            return feats
        if task not in feats:
            raise KeyError(f'backbone {type(self.backbone).__name__} returned '
                           f'features for tasks {sorted(feats)}, but the '
                           f'decode head of {task!r} needs its own')
        return feats[task]

    # -------------------------------------------------------------- training
    def _task_samples(self, data_samples: SampleList,
                      task: str) -> List[SegDataSample]:
        """Wrap the task's ground truth as ``gt_sem_seg`` for its head.

        Raises:
            KeyError: If a sample lacks the task's ground truth.
        """
        key = get_task(task).gt_key
        samples = []
        for i, sample in enumerate(data_samples):
            if key not in sample:
                held = sorted(k for k in sample.keys() if k.startswith('gt_'))
                raise KeyError(
                    f'data sample {i} '
                    f'({sample.metainfo.get("img_path", "no img_path")}) '
                    f'has no {key!r}, needed by the {task!r} head; it holds '
                    f'{held} (the dataset loads tasks '
                    f'{sample.metainfo.get("tasks")}). Add {task!r} to the '
                    "dataset's tasks, if it provides it, or remove the head")
            task_sample = SegDataSample(metainfo=sample.metainfo)
            task_sample.gt_sem_seg = PixelData(data=getattr(sample, key).data)
            samples.append(task_sample)
        return samples

    def _weight_losses(self, losses: dict, task: str) -> dict:
        """Prefix keys with ``'<task>.'`` and weight the loss items."""
        weight = self.task_weights[task]
        out = dict()
        for name, value in losses.items():
            if 'loss' in name:
                if isinstance(value, (list, tuple)):
                    value = [v * weight for v in value]
                else:
                    value = value * weight
            out[f'{task}.{name}'] = value
        return out

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Compute every task's losses from one backbone pass.

        Args:
            inputs: ``(N, 3, H, W)`` images.
            data_samples: Samples with ``gt_<task>`` for every task.

        Returns:
            dict[str, Tensor]: ``'<task>.<item>'`` entries; loss items are
            weighted by the task weights.
        """
        feats = self.extract_feat(inputs)
        losses = dict()
        for task, head in self.decode_heads.items():
            task_losses = head.loss(
                self._task_feats(feats, task),
                self._task_samples(data_samples, task), self.train_cfg)
            losses.update(self._weight_losses(task_losses, task))
        return losses

    # ------------------------------------------------------------- inference
    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Predict every task's logits at the input size.

        Args:
            inputs: ``(N, 3, H, W)`` images (padded batch or a crop).
            batch_img_metas: Metainfo of the samples.

        Returns:
            dict[str, Tensor]: ``task -> (N, C, H, W)`` logits.
        """
        size = inputs.shape[2:]
        # Heads resize to `img_shape` when it is a torch.Size (mmseg's slide
        # convention), else to `pad_shape`: make both mean "this input".
        metas = [
            dict(meta, img_shape=torch.Size(size), pad_shape=tuple(size))
            for meta in batch_img_metas
        ]
        feats = self.extract_feat(inputs)
        logits = dict()
        for task, head in self.decode_heads.items():
            out = head.predict(
                self._task_feats(feats, task), metas, self.test_cfg)
            if out.shape[2:] != size:
                out = resize(
                    out,
                    size=size,
                    mode='bilinear',
                    align_corners=head.align_corners)
            logits[task] = out
        return logits

    def whole_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Inference on the whole (padded) image."""
        return self.encode_decode(inputs, batch_img_metas)

    def slide_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Sliding-window inference; overlapping logits are averaged.

        Args:
            inputs: ``(N, 3, H, W)`` images.
            batch_img_metas: Metainfo of the samples.

        Returns:
            dict[str, Tensor]: ``task -> (N, C, H, W)`` logits.
        """
        h_stride, w_stride = self.test_cfg['stride']
        h_crop, w_crop = self.test_cfg['crop_size']
        batch_size, _, h_img, w_img = inputs.shape
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        preds: Dict[str, Tensor] = dict()
        count = inputs.new_zeros((batch_size, 1, h_img, w_img))
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                y2 = min(h_idx * h_stride + h_crop, h_img)
                x2 = min(w_idx * w_stride + w_crop, w_img)
                y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
                crop = self.encode_decode(inputs[:, :, y1:y2, x1:x2],
                                          batch_img_metas)
                for task, logits in crop.items():
                    if task not in preds:
                        preds[task] = inputs.new_zeros(
                            (batch_size, logits.shape[1], h_img, w_img))
                    preds[task] += F.pad(
                        logits, (x1, w_img - x2, y1, h_img - y2))
                count[:, :, y1:y2, x1:x2] += 1
        return {task: p / count for task, p in preds.items()}

    def inference(self, inputs: Tensor,
                  batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Whole or sliding-window inference as ``test_cfg['mode']`` says.

        Raises:
            ValueError: On an unknown test mode.
        """
        mode = self.test_cfg.get('mode', 'whole')
        if mode == 'whole':
            return self.whole_inference(inputs, batch_img_metas)
        if mode == 'slide':
            return self.slide_inference(inputs, batch_img_metas)
        raise ValueError(f"test_cfg mode must be 'whole' or 'slide', got "
                         f'{mode!r}')

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict every task and write ``pred_<task>`` into the samples.

        Args:
            inputs: ``(N, 3, H, W)`` images.
            data_samples: Samples with metainfo; ``None`` builds
                :class:`MultiTaskDataSample` s for unpadded inputs.

        Returns:
            list[SegDataSample]: The samples with ``pred_<task>`` (and
            ``seg_logits_<task>`` if ``output_logits``) at ``ori_shape``.
        """
        if data_samples is None:
            shape = tuple(inputs.shape[2:])
            data_samples = [
                MultiTaskDataSample(
                    metainfo=dict(
                        ori_shape=shape,
                        img_shape=shape,
                        pad_shape=shape,
                        padding_size=[0, 0, 0, 0],
                        tasks=self.tasks)) for _ in range(inputs.shape[0])
            ]
        batch_img_metas = [sample.metainfo for sample in data_samples]
        logits = self.inference(inputs, batch_img_metas)
        return self.postprocess_result(logits, data_samples)

    def postprocess_result(self, seg_logits: Dict[str, Tensor],
                           data_samples: SampleList) -> SampleList:
        """Restore each sample's logits to its original image; finalise.

        Args:
            seg_logits: ``task -> (N, C, H, W)`` logits at the padded size.
            data_samples: Samples with metainfo (``ori_shape``, padding,
                flip).

        Returns:
            list[SegDataSample]: The samples with ``pred_<task>``.
        """
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            for task, logits in seg_logits.items():
                spec = get_task(task)
                restored = self._restore(
                    logits[i:i + 1], meta, spec,
                    self.decode_heads[task].align_corners)[0]
                if self.output_logits:
                    sample.set_field(
                        PixelData(data=restored), f'seg_logits_{task}',
                        dtype=PixelData)
                sample.set_field(
                    PixelData(data=spec.finalize(restored)), spec.pred_key,
                    dtype=PixelData)
        return data_samples

    @staticmethod
    def _restore(logits: Tensor, meta: dict, spec: TaskSpec,
                 align_corners: bool) -> Tensor:
        """Remove padding, undo a flip and resize to ``ori_shape``.

        Args:
            logits: ``(1, C, H, W)`` logits at the padded size.
            meta: The sample's metainfo.
            spec: The task's table entry.
            align_corners: ``align_corners`` of the bilinear resize.

        Returns:
            Tensor: ``(1, C, H_ori, W_ori)`` logits.

        Raises:
            ValueError: On an unknown flip direction or a ``hflip_sign`` that
                does not match the channels.
        """
        height, width = logits.shape[2:]
        if 'img_padding_size' in meta:
            padding = meta['img_padding_size']
        else:
            padding = meta.get('padding_size', [0, 0, 0, 0])
        left, right, top, bottom = (int(p) for p in padding)
        logits = logits[:, :, top:height - bottom, left:width - right]
        if meta.get('flip', False):
            direction = meta.get('flip_direction')
            if direction == 'horizontal':
                logits = logits.flip(dims=(3, ))
                if spec.hflip_sign is not None:
                    sign = logits.new_tensor(spec.hflip_sign)
                    if sign.numel() != logits.shape[1]:
                        raise ValueError(
                            f'{spec.name}: hflip_sign {spec.hflip_sign} does '
                            f'not match {logits.shape[1]} output channels')
                    logits = logits * sign.view(1, -1, 1, 1)
            elif direction == 'vertical':
                logits = logits.flip(dims=(2, ))
            else:
                raise ValueError(f"flip_direction must be 'horizontal' or "
                                 f"'vertical', got {direction!r}")
        ori_shape = tuple(meta.get('ori_shape', logits.shape[2:]))[:2]
        return resize(
            logits,
            size=ori_shape,
            mode='bilinear',
            align_corners=align_corners,
            warning=False)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Dict[str, Tensor]:
        """Raw forward (tensor mode; used for FLOPs counting).

        Args:
            inputs: ``(N, 3, H, W)`` images.
            data_samples: Unused.

        Returns:
            dict[str, Tensor]: ``task -> raw head output``.
        """
        feats = self.extract_feat(inputs)
        return {
            task: head.forward(self._task_feats(feats, task))
            for task, head in self.decode_heads.items()
        }
