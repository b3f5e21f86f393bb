"""Swin Transformer with a VMT-Adapter in every block (multi-task backbone).

The frozen pretrained Swin runs once per image and carries the task-generic
stream; every task additionally owns a side stream ``r_t`` (reset to zero at
the start of each stage) and its own output norms. See ``docs/design.md``
section 3 and :class:`~mmvmt.models.adapters.VMTAdapter` for the math, and
section 3.1 for tasks added to a trained model (``base_tasks``,
``frozen_tasks``).
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

from ...tasks import TASKS, check_tasks
from ..adapters import AdapterOutput, VMTAdapter  # noqa: F401 (registers)
from ..mmseg_compat import swin_block_forward
from .swin_checkpoint import (pretrained_load_report,
                              resize_relative_position_tables,
                              swin_state_dict_from_checkpoint)

__all__ = ['VMTSwinTransformer']

#: Name fragments of the parameters added on top of the pretrained Swin.
ADAPTER_KEY = '.adapter.'
TASK_NORMS_KEY = 'task_norms.'
#: Name fragment of an added task's extraction (followed by ``<task>.``).
ADDED_EXTRACTION_KEY = f'{ADAPTER_KEY}added_extraction.'
#: Tasks of a backbone built without ``tasks`` (outside the segmentor).
DEFAULT_TASKS = ('semseg', )
#: Spatial shape ``(H, W)`` of a token map.
HWShape = Tuple[int, int]
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
      ``stages.{i}.blocks.{j}.adapter.extraction.*`` (one row per base task,
      in the order of the task table ``mmvmt.tasks.TASKS``, whatever the
      order of ``tasks``);
    * task output norms: ``task_norms.{task}.norm{i}.*``;
    * everything else has the stock mmseg ``SwinTransformer`` name.

    Training regime: from construction on, only adapters, extraction modules
    and task norms have ``requires_grad=True``, plus the parameters matched by
    ``trainable_patterns``. The pretrained dropout / drop-path modules are
    kept in eval mode by :meth:`train` (the frozen backbone is
    deterministic), so ``drop_path_rate`` has no effect.

    Adding tasks to a trained model (``docs/design.md`` section 3.1): the
    ``base_tasks`` share the adapters' extraction and define
    ``e_bar``; every other task is an *added* task with its own one-task
    extraction per block (``stages.{i}.blocks.{j}.adapter.added_extraction.
    {task}.*``) and its own side stream, projected by its own batched
    product, so neither the generic stream nor any other task's features
    depend on it. With ``frozen_tasks`` only the other tasks' own
    parameters (added extraction, task norms) train; adapters, the base
    extraction and the frozen tasks' parameters are frozen from
    construction.

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
        base_tasks: The tasks whose extraction defines ``e_bar`` (the tasks
            of the trained model), in any order. None (default):
            ``frozen_tasks`` if given, else all ``tasks``. The rows of the
            shared extraction follow the task table (``mmvmt.tasks.TASKS``),
            not the config: mmengine's ``Config.dump`` (the config copy in a
            work dir) sorts ``decode_heads``, and rows in config order would
            then be permuted without a word.
        frozen_tasks: Tasks whose parameters stay fixed while the others
            train; it must hold every base task. ``MultiTaskEncoderDecoder``
            passes its own ``frozen_tasks``. Defaults to none.
        **kwargs: Arguments of mmseg's ``SwinTransformer``.
            ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=None)``
            loads mmseg- or mmpretrain-layout Swin weights (see
            :meth:`init_weights`). ``frozen_stages`` is not supported (use
            ``trainable_patterns``).

    Raises:
        KeyError: On unknown task names.
        ValueError: On ``frozen_stages`` other than -1, an unmatched
            trainable pattern, a non-``Pretrained`` ``init_cfg``, or
            ``base_tasks`` / ``frozen_tasks`` that do not fit ``tasks``
            (see :meth:`_check_task_roles`).
    """

    def __init__(self,
                 tasks: Optional[Sequence[str]] = None,
                 adapter_cfg: dict = dict(
                     type='VMTAdapter', reduction=16, lite=False),
                 trainable_patterns: Sequence[str] = (),
                 always_dict: bool = False,
                 base_tasks: Optional[Sequence[str]] = None,
                 frozen_tasks: Sequence[str] = (),
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
        self.base_tasks, self.frozen_tasks = self._check_task_roles(
            base_tasks, frozen_tasks)
        self.added_tasks = tuple(t for t in self.tasks
                                 if t not in self.base_tasks)

        adapter_cfg = dict(adapter_cfg)
        adapter_cfg.setdefault('type', 'VMTAdapter')
        if self.added_tasks:
            adapter_cfg['added_tasks'] = self.added_tasks
        for stage in self.stages:
            for block in stage.blocks:
                block.adapter = MODELS.build(
                    dict(
                        adapter_cfg,
                        embed_dims=block.ffn.embed_dims,
                        num_tasks=len(self.base_tasks)))
        self.task_norms = nn.ModuleDict({
            task:
            nn.ModuleDict({
                f'norm{i}': copy.deepcopy(getattr(self, f'norm{i}'))
                for i in self.out_indices
            })
            for task in self.tasks
        })
        self.register_load_state_dict_pre_hook(_fill_task_entries)
        self._set_requires_grad()

    def _check_task_roles(
        self, base_tasks: Optional[Sequence[str]], frozen_tasks: Sequence[str]
    ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """Validate ``base_tasks`` and ``frozen_tasks`` against ``tasks``.

        Returns:
            tuple: The base tasks in task-table order (the order of the
            shared extraction's rows) and the frozen tasks.

        Raises:
            ValueError: If either names a task outside ``tasks``, every task
                is frozen, a base task is not frozen while others are, or
                trainable patterns are combined with frozen tasks.
        """
        name = type(self).__name__
        frozen = () if not frozen_tasks else check_tasks(
            frozen_tasks, self.tasks, owner=f'{name}(frozen_tasks)')
        if base_tasks is None:
            base = frozen or self.tasks
        else:
            base = check_tasks(
                base_tasks, self.tasks, owner=f'{name}(base_tasks)')
        base = tuple(t for t in TASKS if t in base)
        if not frozen:
            return base, frozen
        if set(frozen) == set(self.tasks):
            raise ValueError(f'{name}: frozen_tasks {list(frozen)} lists '
                             'every task; nothing would train')
        unfrozen_base = [t for t in base if t not in frozen]
        if unfrozen_base:
            raise ValueError(
                f'{name}: base task(s) {unfrozen_base} are not in '
                f'frozen_tasks {list(frozen)}: training them moves e_bar '
                'and so every frozen task. Freeze every base task (base '
                f'tasks: {list(base)})')
        if self.trainable_patterns:
            raise ValueError(
                f'{name}: trainable_patterns {list(self.trainable_patterns)} '
                'would train shared weights, which the frozen tasks '
                f'{list(frozen)} depend on; set trainable_patterns=() when '
                'adding tasks')
        return base, frozen

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

    @staticmethod
    def is_task_param(name: str, task: str) -> bool:
        """Whether a parameter/buffer name belongs to ``task`` alone.

        A task owns its output norms and, if it is an added task, its
        extraction in every block. A base task's extraction rows are part
        of the shared extraction, which defines ``e_bar``.

        Args:
            name: Name relative to the backbone.
            task: A task name.

        Returns:
            bool: Whether the entry is ``task``'s own.
        """
        return (name.startswith(f'{TASK_NORMS_KEY}{task}.')
                or f'{ADDED_EXTRACTION_KEY}{task}.' in f'.{name}')

    def task_state_keys(self, task: str) -> List[str]:
        """The ``state_dict`` keys that belong to ``task`` alone.

        Args:
            task: One of :attr:`tasks`.

        Returns:
            list[str]: Keys relative to the backbone, in state-dict order.

        Raises:
            KeyError: If ``task`` is not a task of this backbone.
        """
        if task not in self.tasks:
            raise KeyError(f'{type(self).__name__} has no task {task!r}; '
                           f'tasks: {list(self.tasks)}')
        return [k for k in self.state_dict() if self.is_task_param(k, task)]

    def _set_requires_grad(self) -> None:
        """Freeze pretrained weights; unfreeze added and pattern-matched ones.

        With ``frozen_tasks``, only the other tasks' own parameters train.

        Raises:
            ValueError: If a trainable pattern matches no parameter.
        """
        if self.frozen_tasks:
            trained = [t for t in self.tasks if t not in self.frozen_tasks]
            for name, param in self.named_parameters():
                param.requires_grad = any(
                    self.is_task_param(name, t) for t in trained)
            return
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
    def _block_forward(block: nn.Module, x: Tensor,
                       hw_shape: HWShape) -> AdapterOutput:
        """mmseg ``SwinBlock.forward`` with the adapter beside the MLP.

        Returns:
            AdapterOutput: The block output and the adapter's bottleneck
            deviations of the base tasks ``(T, B, N, k)`` (``None`` with a
            single base task) and of each added task.
        """
        return swin_block_forward(
            block, x, hw_shape,
            lambda u, x1: block.adapter(u, block.ffn(u, identity=x1)))

    @staticmethod
    def _side_streams(x: Tensor, deltas: List[Tensor],
                      weight: Tensor) -> List[Tensor]:
        """``x + sum_l delta_l (s_l W_up^l)`` for a group of tasks.

        One batched product per group: ``(T, B*N, k*depth) x (k*depth, d)``
        added to ``x``. The result of a task depends only on the group's
        shape, so each group is kept the same whatever other groups exist.

        Args:
            x: Task-generic stream ``(B, N, d)``.
            deltas: Per block, the group's deviations ``(T, B, N, k)``.
            weight: The blocks' stacked ``s * W_up``, ``(k*depth, d)``.

        Returns:
            list[Tensor]: One ``(B, N, d)`` stream per task of the group.
        """
        batch, length, dims = x.shape
        num_tasks = deltas[0].shape[0]
        delta = torch.cat(deltas, dim=-1).view(num_tasks, batch * length, -1)
        return torch.baddbmm(
            x.reshape(1, batch * length, dims), delta,
            weight.expand(num_tasks, -1, -1)).view(num_tasks, batch, length,
                                                   dims).unbind(0)

    def _task_features(self, stage_idx: int, x: Tensor, hw_shape: HWShape,
                       deltas: List[Tensor], weights: List[Tensor],
                       added: Dict[str, List[Tensor]]) -> List[Tensor]:
        """Per-task output maps ``Norm_t(x + r_t)`` of one stage, NCHW.

        The base tasks' side streams are one group (one batched product);
        each added task is a group of its own, so adding a task changes no
        operation of the others (their outputs stay bit-identical).

        Args:
            stage_idx: Stage index ``i``.
            x: Task-generic stream at the stage output, ``(B, N, d)``.
            hw_shape: Spatial shape of ``x``.
            deltas: Per block, the base tasks' deviations ``(T, B, N, k)``
                (empty with a single base task).
            weights: Per block, ``s * W_up`` as ``(k, d)`` (empty if no
                task has a side stream).
            added: Added task -> per block, its deviations ``(1, B, N, k)``.

        Returns:
            list[Tensor]: One ``(B, d, H, W)`` map per task, in task order.
        """
        batch, _, dims = x.shape
        weight = torch.cat(weights, dim=0) if weights else None
        if deltas:
            streams = dict(
                zip(self.base_tasks, self._side_streams(x, deltas, weight)))
        else:
            streams = {task: x for task in self.base_tasks}
        for task in self.added_tasks:
            streams[task] = self._side_streams(x, added[task], weight)[0]
        feats = []
        for task in self.tasks:
            out = self.task_norms[task][f'norm{stage_idx}'](streams[task])
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
            added = {task: [] for task in self.added_tasks}
            for block in stage.blocks:
                x, delta, added_deltas = self._block_forward(
                    block, x, hw_shape)
                if delta is not None:
                    deltas.append(delta)
                for task, added_delta in zip(self.added_tasks, added_deltas):
                    added[task].append(added_delta)
                if delta is not None or added_deltas:
                    weights.append(block.adapter.side_weight())
            if i in self.out_indices:
                feats = self._task_features(i, x, hw_shape, deltas, weights,
                                            added)
                for task, feat in zip(self.tasks, feats):
                    outs[task].append(feat)
            if stage.downsample:
                x, hw_shape = stage.downsample(x, hw_shape)

        if len(self.tasks) == 1 and not self.always_dict:
            return outs[self.tasks[0]]
        return outs


def _fill_task_entries(module: VMTSwinTransformer, state_dict: dict,
                       prefix: str, *args) -> None:
    """Load-state-dict pre-hook: derive absent task entries.

    * Task norms default to the stock norms: for each task norm entry absent
      from ``state_dict`` whose stock ``norm{i}`` entry is present, the stock
      entry is used, so loading a plain Swin state dict makes every task norm
      a copy of the pretrained norm.
    * An added task's extraction defaults to the mean of the base tasks'
      (:meth:`~mmvmt.models.adapters.BaseTaskExtraction.mean_task_state`):
      loading a trained model's state dict starts the added task at the
      task-generic feature, ``e_t = e_bar`` (a zero side stream).
    """
    for i in module.out_indices:
        for name in getattr(module, f'norm{i}').state_dict():
            src = f'{prefix}norm{i}.{name}'
            if src not in state_dict:
                continue
            for task in module.tasks:
                dst = f'{prefix}task_norms.{task}.norm{i}.{name}'
                state_dict.setdefault(dst, state_dict[src])
    if not module.added_tasks:
        return
    for i, stage in enumerate(module.stages):
        for j, block in enumerate(stage.blocks):
            adapter = block.adapter
            base = f'{prefix}stages.{i}.blocks.{j}.adapter.extraction.'
            names = list(adapter.extraction.state_dict())
            if not all(base + n in state_dict for n in names):
                continue
            mean = None
            for task in module.added_tasks:
                dst = (f'{prefix}stages.{i}.blocks.{j}'
                       f'{ADDED_EXTRACTION_KEY}{task}.')
                if any(dst + n in state_dict for n in names):
                    continue
                if mean is None:
                    mean = adapter.extraction.mean_task_state(
                        {n: state_dict[base + n]
                         for n in names})
                for n in names:
                    state_dict[dst + n] = mean[n]
