"""One backbone, one head per task: the multi-task segmentor."""
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ...structures import MultiTaskDataSample
from ...tasks import check_tasks, get_task
from ..mmseg_compat import input_size_metas
from .frozen_tasks import (backbone_cfg_for_frozen_tasks,
                           check_shared_part_frozen, freeze_module)
from .restore import restore_logits
from .task_modules import (backbone_cfg_for_tasks, build_task_head,
                           check_backbone_tasks, tasks_without_head)

__all__ = ['MultiTaskEncoderDecoder']

Feats = Union[Sequence[Tensor], Dict[str, Sequence[Tensor]]]
Weights = Dict[str, float]


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
    to ``ori_shape`` (:func:`.restore.restore_logits`) and
    :meth:`TaskSpec.finalize` turns them into ``pred_<task>``.

    The keys of ``decode_heads`` are the model's task list: a backbone whose
    class takes ``tasks`` and whose config gives none gets them, and heads
    whose class takes ``task`` get their key (``docs/design.md`` section 2;
    see :mod:`.task_modules`).

    Adding tasks to a trained model (``docs/design.md`` section 3.1):
    ``frozen_tasks`` names the trained model's tasks. Their heads (and a
    neck) are frozen from construction and kept in eval mode (BatchNorm
    statistics included); a backbone that takes ``frozen_tasks`` gets them
    and freezes everything but the other tasks' own parameters, any other
    backbone must be frozen already (see :mod:`.frozen_tasks`).

    Args:
        backbone: Backbone config. An explicit ``tasks`` must equal the
            keys of ``decode_heads``, in order.
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
        frozen_tasks: Tasks whose parameters stay fixed while the others
            train (the tasks of the trained model that ``load_from``
            loads). Defaults to none.
        init_cfg: Initialisation config.

    Raises:
        KeyError: On an unknown task or head type.
        ValueError: On an empty/invalid head dict, task weights for tasks
            without a head, a head that cannot serve its task, backbone
            tasks that differ from the heads' (both lists are named), or
            ``frozen_tasks`` that are not a proper subset of the tasks or
            that the backbone cannot keep fixed.
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
                 frozen_tasks: Sequence[str] = (),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(decode_heads, dict) or not decode_heads:
            raise ValueError('MultiTaskEncoderDecoder: decode_heads must be a '
                             'non-empty dict task -> head config, got '
                             f'{decode_heads!r}')
        self.tasks = check_tasks(
            list(decode_heads), owner='MultiTaskEncoderDecoder.decode_heads')
        self.frozen_tasks = self._check_frozen_tasks(frozen_tasks)
        if pretrained is not None:
            backbone = dict(backbone, pretrained=pretrained)
        self.backbone = MODELS.build(
            backbone_cfg_for_frozen_tasks(
                backbone_cfg_for_tasks(backbone, self.tasks),
                self.frozen_tasks))
        check_backbone_tasks(self.backbone, self.tasks)
        check_shared_part_frozen(self.backbone, self.frozen_tasks)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_heads = nn.ModuleDict(
            {t: build_task_head(t, decode_heads[t])
             for t in self.tasks})
        for module in self._frozen_modules():
            freeze_module(module)
        self.task_weights = self._init_task_weights(task_weights)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg if test_cfg is not None else dict(
            mode='whole')
        self.output_logits = output_logits
        self.register_load_state_dict_pre_hook(_refuse_frozen_free_state)

    # ------------------------------------------------------------- building
    def _check_frozen_tasks(self, frozen_tasks: Sequence[str]) -> tuple:
        """Validate ``frozen_tasks``: known tasks of the model, not all."""
        if not frozen_tasks:
            return ()
        frozen = check_tasks(
            frozen_tasks,
            self.tasks,
            owner='MultiTaskEncoderDecoder(frozen_tasks)')
        if set(frozen) == set(self.tasks):
            raise ValueError('MultiTaskEncoderDecoder: frozen_tasks '
                             f'{list(frozen)} lists every task of '
                             'decode_heads; nothing would train. Add the '
                             'new task\'s head to decode_heads')
        return frozen

    def _frozen_modules(self) -> List[nn.Module]:
        """The frozen tasks' heads and a neck (shared by every task)."""
        if not self.frozen_tasks:
            return []
        modules = [self.decode_heads[t] for t in self.frozen_tasks]
        if self.with_neck:
            modules.append(self.neck)
        return modules

    def train(self, mode: bool = True) -> 'MultiTaskEncoderDecoder':
        """Set the mode; the frozen tasks' heads (and a neck) stay in eval.

        Args:
            mode: Training mode.

        Returns:
            MultiTaskEncoderDecoder: ``self``.
        """
        super().train(mode)
        if mode:
            for module in self._frozen_modules():
                module.eval()
        return self

    def _init_task_weights(self, task_weights: Optional[Weights]) -> Weights:
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

    def _warn_tasks_without_head(self, data_samples: SampleList) -> None:
        """Warn once about dataset tasks that no head trains or predicts."""
        if getattr(self, '_warned_headless', False) or not data_samples:
            return
        headless = tasks_without_head(data_samples, self.tasks)
        if headless:
            self._warned_headless = True
            print_log(
                f'the dataset loads task(s) {headless} but decode_heads has '
                f'no head for them (heads: {list(self.tasks)}): they are '
                'neither trained nor predicted. Add a head, or drop them '
                "from the dataset's tasks",
                logger='current',
                level=logging.WARNING)

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
        self._warn_tasks_without_head(data_samples)
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
        metas = input_size_metas(batch_img_metas, size)
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

        mmseg's ``EncoderDecoder.slide_inference`` is not reused: it sums one
        ``out_channels`` tensor, while every task here has its own logits.

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
                    preds[task] += F.pad(logits,
                                         (x1, w_img - x2, y1, h_img - y2))
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
        self._warn_tasks_without_head(data_samples)
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
                restored = restore_logits(
                    logits[i:i + 1], meta, spec,
                    self.decode_heads[task].align_corners)[0]
                if self.output_logits:
                    sample.set_field(
                        PixelData(data=restored),
                        f'seg_logits_{task}',
                        dtype=PixelData)
                sample.set_field(
                    PixelData(data=spec.finalize(restored)),
                    spec.pred_key,
                    dtype=PixelData)
        return data_samples

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


def _refuse_frozen_free_state(module: nn.Module, state_dict: dict, prefix: str,
                              *args) -> None:
    """Load-state-dict pre-hook: no silently random frozen backbone.

    A state dict that holds none of the model's frozen weights (a
    ``--adapter-only`` checkpoint) only makes sense on top of an
    initialised model: the runner's ``TrainableCheckpointHook``,
    ``MultiTaskInferencer`` and training call ``init_weights()`` first.
    Loaders that do not (e.g. mmseg's ``init_model``) would leave the frozen
    backbone at its construction-time random values, so they are refused.

    Raises:
        RuntimeError: If the model is not initialised and ``state_dict``
            holds none of its frozen parameters.
    """
    if getattr(module, '_is_init', False):
        return
    frozen = [
        prefix + name for name, param in module.named_parameters()
        if not param.requires_grad
    ]
    if frozen and not any(key in state_dict for key in frozen):
        raise RuntimeError(
            f'{type(module).__name__}: the state dict holds none of the '
            f'{len(frozen)} frozen parameters (e.g. {frozen[0]!r}): it is a '
            'trainable-only (--adapter-only) checkpoint, and this model was '
            'not initialised, so its frozen backbone would stay random. '
            'Call model.init_weights() first (with the pretrained '
            'backbone init_cfg), use mmvmt.apis.MultiTaskInferencer or '
            'tools/test.py, or load a full checkpoint.')
