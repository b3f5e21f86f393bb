"""Swin Transformer with a VMT-Adapter in every block (multi-task backbone).

The frozen pretrained Swin runs once per image and carries the task-generic
stream; every task additionally owns a side stream ``r_t`` (reset to zero at
the start of each stage) and its own output norms. See ``docs/design.md``
section 3 and :class:`~mmvmt.models.adapters.VMTAdapter` for the math.
"""
import copy
import fnmatch
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmseg.models.backbones import SwinTransformer
from mmseg.registry import MODELS
from torch import Tensor

from ...tasks import check_tasks
from ..adapters import VMTAdapter  # noqa: F401 (registers the default)
from ..mmseg_compat import swin_block_forward
from .swin_checkpoint import (pretrained_load_report,
                              resize_relative_position_tables,
                              swin_state_dict_from_checkpoint)

__all__ = ['VMTSwinTransformer']

#: Name fragments of the parameters added on top of the pretrained Swin.
ADAPTER_KEY = '.adapter.'
TASK_NORMS_KEY = 'task_norms.'
#: Tasks of a backbone built without ``tasks`` (outside the segmentor).
DEFAULT_TASKS = ('semseg', )
#: Module types whose train mode is stochastic (kept in eval when pretrained).
STOCHASTIC_MODULES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                      nn.AlphaDropout, DropPath)


@MODELS.register_module()
class VMTSwinTransformer(SwinTransformer):
    """mmseg's Swin Transformer adapted for multi-task dense prediction.

    Every Swin block gets a VMT-Adapter (built from ``adapter_cfg``) as a
    child ``adapter`` that reads the input of the block's MLP; all pretrained
    modules and their checkpoint key names are mmseg's own. Per output stage
    ``i`` and task ``t`` the backbone returns
    ``F_t^i = Norm_t^i(x^i + r_t^i)``, where ``x^i`` is the task-generic
    stream and ``r_t^i`` the task's side stream accumulated over the blocks of
    stage ``i``.

    The side streams are computed without leaving the bottleneck inside the
    stage: each block contributes ``s_l (e_t^l - e_bar^l)`` (width ``k``), the
    contributions of a stage are concatenated along channels and projected
    once with the stacked ``s_l W_up^l`` (``(T, N, k*depth) x (k*depth, d)``),
    fused with the addition of ``x^i``. With one task the side stream is
    identically zero and skipped.

    Parameter names (relative to the backbone):

    * adapters: ``stages.{i}.blocks.{j}.adapter.*``, their extraction
      ``stages.{i}.blocks.{j}.adapter.extraction.*``;
    * task output norms: ``task_norms.{task}.norm{i}.*``;
    * everything else has the stock mmseg ``SwinTransformer`` name.

    Training regime: from construction on, only adapters, extraction modules
    and task norms have ``requires_grad=True``, plus the parameters matched by
    ``trainable_patterns``. The pretrained dropout / drop-path modules are
    kept in eval mode by :meth:`train` (the frozen backbone is
    deterministic), so ``drop_path_rate`` has no effect.

    Initialisation: at :meth:`init_weights` (and whenever a state dict
    without task norms is loaded) each task norm becomes a copy of the stock
    ``norm{i}``; adapters start with an exactly-zero contribution. Hence an
    untrained model outputs, for every task, exactly the stock Swin's
    features.

    Args:
        tasks: Task names (validated with :func:`mmvmt.tasks.check_tasks`).
            ``MultiTaskEncoderDecoder`` passes the keys of its
            ``decode_heads``, so configs leave this out. ``None`` (a backbone
            built on its own, e.g. inside mmseg's ``EncoderDecoder``) means
            the single task :data:`DEFAULT_TASKS`: the stock Swin features
            as a plain list, with task norms named after ``'semseg'``.
        adapter_cfg: Config of the per-block adapter; ``embed_dims`` and
            ``num_tasks`` are filled in. Adapter options (reduction, lite,
            act_cfg, scale, extraction_cfg) go here.
        trainable_patterns: Extra parameter names to unfreeze, matched
            against names relative to the backbone: shell-style
            (``fnmatch``, e.g. ``'*norm*'``) or, with a ``'re:'`` prefix,
            regular expressions (``re.search``). Each pattern must match at
            least one parameter.
        always_dict: With a single task, :meth:`forward` returns the plain
            list of feature maps (so a stock mmseg ``EncoderDecoder`` can use
            this backbone) unless this is True.
        **kwargs: Arguments of mmseg's ``SwinTransformer``.
            ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=None)``
            loads mmseg- or mmpretrain-layout Swin weights (see
            :meth:`init_weights`). ``frozen_stages`` is not supported (use
            ``trainable_patterns``).

    Raises:
        KeyError: On unknown task names.
        ValueError: On ``frozen_stages`` other than -1, an unmatched
            trainable pattern or a non-``Pretrained`` ``init_cfg``.
    """

    def __init__(self,
                 tasks: Optional[Sequence[str]] = None,
                 adapter_cfg: dict = dict(
                     type='VMTAdapter', reduction=16, lite=False),
                 trainable_patterns: Sequence[str] = (),
                 always_dict: bool = False,
                 **kwargs) -> None:
        if kwargs.get('frozen_stages', -1) != -1:
            raise ValueError('VMTSwinTransformer freezes every pretrained '
                             'weight by itself; set trainable_patterns '
                             'instead of frozen_stages')
        init_cfg = kwargs.get('init_cfg')
        if init_cfg is not None and (not isinstance(init_cfg, dict)
                                     or init_cfg.get('type') != 'Pretrained'
                                     or 'checkpoint' not in init_cfg):
            raise ValueError('VMTSwinTransformer: init_cfg must be None or '
                             "dict(type='Pretrained', checkpoint=...), got "
                             f'{init_cfg}')
        super().__init__(**kwargs)
        self.tasks = check_tasks(
            DEFAULT_TASKS if tasks is None else tasks,
            owner=type(self).__name__)
        self.always_dict = always_dict
        if isinstance(trainable_patterns, str):
            trainable_patterns = (trainable_patterns, )
        self.trainable_patterns = tuple(trainable_patterns)

        adapter_cfg = dict(adapter_cfg)
        adapter_cfg.setdefault('type', 'VMTAdapter')
        for stage in self.stages:
            for block in stage.blocks:
                block.adapter = MODELS.build(
                    dict(
                        adapter_cfg,
                        embed_dims=block.ffn.embed_dims,
                        num_tasks=len(self.tasks)))
        self.task_norms = nn.ModuleDict({
            task:
            nn.ModuleDict({
                f'norm{i}': copy.deepcopy(getattr(self, f'norm{i}'))
                for i in self.out_indices
            })
            for task in self.tasks
        })
        self.register_load_state_dict_pre_hook(_fill_task_norms)
        self._set_requires_grad()

    # ------------------------------------------------------------------
    # parameters
    @staticmethod
    def is_added_param(name: str) -> bool:
        """Whether a parameter/buffer name belongs to the added modules.

        Args:
            name: Name relative to the backbone.

        Returns:
            bool: True for adapter, extraction and task-norm entries.
        """
        return ADAPTER_KEY in f'.{name}' or name.startswith(TASK_NORMS_KEY)

    def _set_requires_grad(self) -> None:
        """Freeze pretrained weights; unfreeze added and pattern-matched ones.

        Raises:
            ValueError: If a trainable pattern matches no parameter.
        """
        names = [name for name, _ in self.named_parameters()]
        unfrozen = set()
        for pattern in self.trainable_patterns:
            if pattern.startswith('re:'):
                regex = re.compile(pattern[3:])
                matched = {n for n in names if regex.search(n)}
            else:
                matched = set(fnmatch.filter(names, pattern))
            if not matched:
                raise ValueError(f'{type(self).__name__}: trainable pattern '
                                 f'{pattern!r} matches no parameter')
            unfrozen |= matched
        for name, param in self.named_parameters():
            param.requires_grad = self.is_added_param(name) or name in unfrozen

    def train(self, mode: bool = True) -> 'VMTSwinTransformer':
        """Set train/eval mode; pretrained dropout/drop-path stay in eval.

        Args:
            mode: Training mode.

        Returns:
            VMTSwinTransformer: ``self`` (mmseg's Swin returns None).
        """
        super().train(mode)
        if mode:
            for name, module in self.named_modules():
                if (isinstance(module, STOCHASTIC_MODULES)
                        and not self.is_added_param(name + '.')):
                    module.eval()
        return self

    # ------------------------------------------------------------------
    # initialisation
    def init_weights(self) -> None:
        """Initialise: stock init or pretrained weights, then adapter init.

        Without ``init_cfg`` mmseg's random Swin init runs (it re-initialises
        every ``nn.Linear``, adapters included), then the adapters are reset
        and the task norms copied from ``norm{i}``. With
        ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=None)`` the
        adapters are reset and the checkpoint is loaded: keys are converted
        (:func:`swin_state_dict_from_checkpoint`), relative position tables
        resized to the window size, and missing / unexpected backbone keys
        logged as warnings (:func:`pretrained_load_report`). Task norms
        absent from the checkpoint become copies of the loaded ``norm{i}``;
        adapter weights present in it (a VMT checkpoint) are loaded too.

        Raises:
            RuntimeError: If a checkpoint tensor's shape does not fit
                (torch's message names each key with both shapes).
        """
        if self.init_cfg is None:
            super().init_weights()
            self._reset_adapters()
            for task in self.tasks:
                for i in self.out_indices:
                    self.task_norms[task][f'norm{i}'].load_state_dict(
                        getattr(self, f'norm{i}').state_dict())
        else:
            self._reset_adapters()
            self._load_pretrained(self.init_cfg['checkpoint'],
                                  self.init_cfg.get('prefix'))

    def _reset_adapters(self) -> None:
        for stage in self.stages:
            for block in stage.blocks:
                block.adapter.init_weights()

    def _load_pretrained(self, filename: str, prefix: Optional[str]) -> None:
        """Load Swin weights, failing on shape mismatches, logging the rest."""
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location='cpu', logger='current')
        state_dict, ignored = swin_state_dict_from_checkpoint(
            checkpoint, len(self.stages), prefix, source=filename)
        resized = resize_relative_position_tables(state_dict,
                                                  self.state_dict())
        name = type(self).__name__
        try:
            result = self.load_state_dict(state_dict, strict=False)
        except RuntimeError as err:
            raise RuntimeError(
                f'{filename} does not fit {name}: {err}') from err
        records = pretrained_load_report(name, filename, result,
                                         len(state_dict), ignored, resized,
                                         self.is_added_param)
        for level, message in records:
            print_log(message, logger='current', level=level)

    # ------------------------------------------------------------------
    # forward
    @staticmethod
    def _block_forward(
            block: nn.Module, x: Tensor,
            hw_shape: Tuple[int, int]) -> Tuple[Tensor, Optional[Tensor]]:
        """mmseg ``SwinBlock.forward`` with the adapter beside the MLP.

        Returns:
            tuple: The block output and the adapter's bottleneck deviations
            ``(T, B, N, k)`` (``None`` with a single task).
        """
        return swin_block_forward(
            block, x, hw_shape,
            lambda u, x1: block.adapter(u, block.ffn(u, identity=x1)))

    def _task_features(self, stage_idx: int, x: Tensor,
                       hw_shape: Tuple[int, int], deltas: List[Tensor],
                       weights: List[Tensor]) -> List[Tensor]:
        """Per-task output maps ``Norm_t(x + r_t)`` of one stage, NCHW.

        Args:
            stage_idx: Stage index ``i``.
            x: Task-generic stream at the stage output, ``(B, N, d)``.
            hw_shape: Spatial shape of ``x``.
            deltas: Per block, the bottleneck deviations ``(T, B, N, k)``.
            weights: Per block, ``s * W_up`` as ``(k, d)``.

        Returns:
            list[Tensor]: One ``(B, d, H, W)`` map per task.
        """
        batch, length, dims = x.shape
        if deltas:
            num_tasks = len(self.tasks)
            delta = torch.cat(
                deltas, dim=-1).view(num_tasks, batch * length, -1)
            weight = torch.cat(weights, dim=0)
            streams = torch.baddbmm(
                x.reshape(1, batch * length, dims), delta,
                weight.expand(num_tasks, -1, -1)).view(num_tasks, batch,
                                                       length, dims).unbind(0)
        else:
            streams = [x] * len(self.tasks)
        feats = []
        for task, stream in zip(self.tasks, streams):
            out = self.task_norms[task][f'norm{stage_idx}'](stream)
            feats.append(
                out.view(batch, *hw_shape, dims).permute(0, 3, 1,
                                                         2).contiguous())
        return feats

    def forward(self,
                x: Tensor) -> Union[Dict[str, List[Tensor]], List[Tensor]]:
        """Run the frozen Swin once and derive every task's features.

        Args:
            x: Images ``(B, C, H, W)``.

        Returns:
            dict[str, list[Tensor]] | list[Tensor]: Task name -> one NCHW map
            per output stage (strides 4, 8, 16, 32 for the default
            ``out_indices``); with a single task and ``always_dict=False``
            the plain list of that task's maps.
        """
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + self.absolute_pos_embed
        x = self.drop_after_pos(x)

        outs = {task: [] for task in self.tasks}
        for i, stage in enumerate(self.stages):
            deltas, weights = [], []
            for block in stage.blocks:
                x, delta = self._block_forward(block, x, hw_shape)
                if delta is not None:
                    deltas.append(delta)
                    weights.append(block.adapter.side_weight())
            if i in self.out_indices:
                feats = self._task_features(i, x, hw_shape, deltas, weights)
                for task, feat in zip(self.tasks, feats):
                    outs[task].append(feat)
            if stage.downsample:
                x, hw_shape = stage.downsample(x, hw_shape)

        if len(self.tasks) == 1 and not self.always_dict:
            return outs[self.tasks[0]]
        return outs


def _fill_task_norms(module: VMTSwinTransformer, state_dict: dict, prefix: str,
                     *args) -> None:
    """Load-state-dict pre-hook: task norms default to the stock norms.

    For each task norm entry absent from ``state_dict`` whose stock
    ``norm{i}`` entry is present, the stock entry is used, so loading a plain
    Swin state dict makes every task norm a copy of the pretrained norm.
    """
    for i in module.out_indices:
        for name in getattr(module, f'norm{i}').state_dict():
            src = f'{prefix}norm{i}.{name}'
            if src not in state_dict:
                continue
            for task in module.tasks:
                dst = f'{prefix}task_norms.{task}.norm{i}.{name}'
                state_dict.setdefault(dst, state_dict[src])
