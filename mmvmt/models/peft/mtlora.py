"""MTLoRA (Agiza et al., CVPR 2024): shared LoRA plus task-specific LoRA.

The method as the public MTLoRA configuration defines it, injected by
:class:`~mmvmt.models.peft.PEFTBackbone` into mmseg's Swin:

* task-agnostic LoRA (rank ``r``, shared by all tasks) on ``qkv``,
  ``proj``, ``fc1`` and ``fc2`` of every block;
* task-specific LoRA (rank ``r_t``, one per task) on ``proj``, ``fc1`` and
  ``fc2`` of the last block of each stage (``qkv`` has none: the public code
  builds it with ``tasks=None``), producing each task's map of that stage;
* every update multiplied by ``scale`` (4), dropout 0.05 on the LoRA input;
* trained pretrained parts: the patch embedding, the block and
  patch-merging norms, the relative position bias tables and the patch
  merging's reduction.
"""
import fnmatch
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .lora import SWIN_FC1, SWIN_FC2, SWIN_PROJ, SWIN_QKV, LoRADelta
from .method import PEFTMethod

__all__ = ['MTLoRA', 'MTLoRATaskBranch']

#: Pretrained parts MTLoRA's default training unfreezes (mmseg names). The
#: per-stage output norms ``norm0..3`` are mmseg's and stay frozen.
UNFROZEN = ('patch_embed*', 'stages.*norm*', '*attn.w_msa',
            'stages.*.downsample.reduction')
#: Targets of the task-specific LoRA inside the last block of a stage.
TASK_TARGETS = ('attn.w_msa.proj', 'ffn.layers.0.0', 'ffn.layers.1')


@MODELS.register_module()
class MTLoRA(PEFTMethod):
    """MTLoRA on mmseg's Swin: shared LoRA, task LoRA per stage's last block.

    Task-specific features (our reading of the public code,
    ``SHARED_MODE='matrix'``): the last block of stage ``i`` is run once
    more per task ``t`` on the shared input of that block; in that run
    ``qkv`` keeps the shared LoRA, and ``proj``, ``fc1``, ``fc2`` compute
    ``W x + b + scale * B_t A_t dropout(x)`` (the task update replaces the
    shared one). Its output, after the stock output norm ``norm{i}``, is
    task ``t``'s map of stage ``i``; the shared stream goes on into the
    next stage, so task branches never feed later stages. Two deviations,
    both stated: (1) MTLoRA takes the maps *after* the stage's patch
    merging (192/384/768/768 channels); mmseg's heads take stride-4..32
    maps (96/192/384/768), so we tap *before* the downsample, where
    mmseg's Swin taps; the shared patch merging still trains (it feeds the
    shared stream). (2) The public code applies the frozen ``W`` of
    ``fc1``/``fc2`` to the shared input and only the task LoRA to the task
    input; we apply both to the task input (a plain LoRA layer per task).
    The last block's shared ``proj``/``fc1``/``fc2`` LoRA of the last
    stage then feeds no output and gets no gradient (its shared output is
    unused, as in MTLoRA); it is counted, as MTLoRA counts it.

    Trainable parameters (embed ``C``, ``d_i = 2^i C``, depths ``D_i``,
    ``S = sum_i D_i d_i``, MLP ratio 4, patch 4, window ``w``, heads
    ``h_i``, ``T`` tasks):

    * shared LoRA ``16 r S`` (``qkv`` 4rd, ``proj`` 2rd, ``fc1``/``fc2``
      5rd each per block);
    * task LoRA ``12 r_t sum_i d_i`` per task (``proj``, ``fc1``, ``fc2``
      of one block per stage);
    * unfrozen ``51 C + 4 S + (2w - 1)^2 sum_i D_i h_i
      + 8 sum_{i<3} (d_i^2 + d_i)`` (patch conv and norm, ``norm1`` and
      ``norm2`` of every block, position tables, merging norm 8d and
      reduction 8d^2).

    Swin-T (``S = 4416``, ``sum d_i = 1440``), T = 4, r_t = 4: shared
    1,130,496 / 2,260,992 / 4,521,984 for r = 16 / 32 / 64, task 69,120
    per task, unfrozen 1,599,546; totals 3,006,522 / 4,137,018 /
    6,398,010 (the figures measured on the public MTLoRA code).

    Args:
        rank: Shared rank ``r``.
        task_rank: Task-specific rank ``r_t``.
        scale: Multiplier of every update (MTLoRA's shared and task scale).
        dropout: Dropout on the LoRA input.
        unfreeze: Whether the pretrained parts above train.

    Raises:
        ValueError: On a non-positive rank.
    """

    lora_targets = (SWIN_QKV, SWIN_PROJ, SWIN_FC1, SWIN_FC2)

    def __init__(self,
                 rank: int = 16,
                 task_rank: int = 4,
                 scale: float = 4.0,
                 dropout: float = 0.05,
                 unfreeze: bool = True) -> None:
        targets = self.lora_targets + (UNFROZEN if unfreeze else ())
        super().__init__(targets)
        if rank < 1 or task_rank < 1:
            raise ValueError('MTLoRA: rank and task_rank must be >= 1, got '
                             f'rank={rank}, task_rank={task_rank}')
        self.rank = rank
        self.task_rank = task_rank
        self.scale = scale
        self.dropout = dropout
        self.unfreeze = unfreeze

    def _is_lora(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.lora_targets)

    def build_delta(self, name: str, module: nn.Module) -> Optional[LoRADelta]:
        if not self._is_lora(name):
            return None
        if not isinstance(module, nn.Linear):
            raise ValueError(f'MTLoRA: target {name!r} is a '
                             f'{type(module).__name__}, not nn.Linear')
        return LoRADelta(module.in_features, module.out_features, self.rank,
                         self.scale, self.dropout)

    def tuned_names(self, name: str, module: nn.Module) -> Tuple[str, ...]:
        if self._is_lora(name):
            return ()
        return tuple(k for k, v in module._parameters.items() if v is not None)

    def build_task_branch(self, backbone: nn.Module,
                          tasks: Sequence[str]) -> 'MTLoRATaskBranch':
        """The per-task LoRA and the forward producing per-task maps."""
        return MTLoRATaskBranch(backbone, tasks, self.task_rank, self.scale,
                                self.dropout)

    def __repr__(self) -> str:
        return (f'MTLoRA(rank={self.rank}, task_rank={self.task_rank}, '
                f'scale={self.scale}, dropout={self.dropout}, '
                f'unfreeze={self.unfreeze})')


class _FrozenOutputHook:
    """Forward hook run first: keep the frozen ``W x + b`` of a rerun."""

    def __init__(self, branch: 'MTLoRATaskBranch') -> None:
        self.branch = branch

    def __call__(self, module: nn.Linear, inputs: Tuple,
                 output: Tensor) -> None:
        if self.branch.active_task is not None:
            self.branch.frozen = output


class _TaskLinearHook:
    """Forward hook run last: in a task's rerun, ``W x + b + delta_t(x)``.

    The shared delta's hook ran in between; its result is replaced by the
    kept frozen output plus the task's update.
    """

    def __init__(self, branch: 'MTLoRATaskBranch', key: str) -> None:
        self.branch = branch
        self.key = key

    def __call__(self, module: nn.Linear, inputs: Tuple,
                 output: Tensor) -> Optional[Tensor]:
        task = self.branch.active_task
        if task is None:
            return None  # the shared pass: keep the shared output
        frozen, self.branch.frozen = self.branch.frozen, None
        return self.branch.deltas[task][self.key](inputs, frozen)


class _TaskBlockHook:
    """Forward hook on a stage's last block: rerun it once per task."""

    def __init__(self, branch: 'MTLoRATaskBranch', stage: int) -> None:
        self.branch = branch
        self.stage = stage

    def __call__(self, module: nn.Module, inputs: Tuple,
                 output: Tensor) -> None:
        branch = self.branch
        if branch.active_task is not None or not branch.collecting:
            return
        x, hw_shape = inputs
        try:
            for task in branch.tasks:
                branch.active_task = task
                branch.outs[task][self.stage] = (module(x, hw_shape), hw_shape)
        finally:
            branch.active_task = None


class MTLoRATaskBranch(nn.Module):
    """Task-specific LoRA of MTLoRA and the pass producing per-task maps.

    Built by :meth:`MTLoRA.build_task_branch`; :class:`PEFTBackbone` keeps
    it under ``peft.task_branch`` (parameters
    ``peft.task_branch.deltas.<task>.<stage's last block target>``) and
    calls it instead of the backbone.

    Args:
        backbone: mmseg's ``SwinTransformer`` (``stages``, ``norm{i}``,
            ``out_indices``, ``num_features``).
        tasks: Task names.
        rank: Task-specific rank.
        scale: Multiplier of the task updates.
        dropout: Dropout on the LoRA input.

    Raises:
        ValueError: If ``backbone`` is not an mmseg Swin.
    """

    def __init__(self, backbone: nn.Module, tasks: Sequence[str], rank: int,
                 scale: float, dropout: float) -> None:
        super().__init__()
        if not all(
                hasattr(backbone, a)
                for a in ('stages', 'out_indices', 'num_features')):
            raise ValueError('MTLoRA: the task branch needs mmseg\'s '
                             'SwinTransformer (stages, out_indices, '
                             f'num_features), got {type(backbone).__name__}')
        self.tasks = tuple(tasks)
        self.active_task = None  # type: Optional[str]
        self.collecting = False
        self.frozen = None  # type: Optional[Tensor]
        self.outs = {}  # type: Dict[str, Dict[int, Tuple[Tensor, tuple]]]
        self.deltas = nn.ModuleDict({t: nn.ModuleDict() for t in self.tasks})
        modules = dict(backbone.named_modules())
        for i, stage in enumerate(backbone.stages):
            block = f'stages.{i}.blocks.{len(stage.blocks) - 1}'
            for target in TASK_TARGETS:
                name = f'{block}.{target}'
                linear = modules.get(name)
                if not isinstance(linear, nn.Linear):
                    raise ValueError(f'MTLoRA: expected nn.Linear at '
                                     f'{name!r} of the Swin, got {linear!r}')
                key = name.replace('.', '__')
                for task in self.tasks:
                    self.deltas[task][key] = LoRADelta(linear.in_features,
                                                       linear.out_features,
                                                       rank, scale, dropout)
                linear.register_forward_hook(
                    _FrozenOutputHook(self), prepend=True)
                linear.register_forward_hook(_TaskLinearHook(self, key))
            modules[block].register_forward_hook(_TaskBlockHook(self, i))

    def forward(self, backbone: nn.Module,
                x: Tensor) -> Dict[str, List[Tensor]]:
        """The shared pass with per-task reruns of each last block.

        Returns:
            dict: Task -> its ``(B, d_i, H_i, W_i)`` maps of the
            ``out_indices`` stages (before the downsample, after
            ``norm{i}``).
        """
        self.outs = {task: {} for task in self.tasks}
        self.collecting = True
        try:
            backbone(x)
        finally:
            self.collecting = False
        feats = {}
        for task in self.tasks:
            maps = []
            for i in backbone.out_indices:
                out, hw_shape = self.outs[task][i]
                out = getattr(backbone, f'norm{i}')(out)
                maps.append(
                    out.view(-1, *hw_shape,
                             backbone.num_features[i]).permute(0, 3, 1,
                                                               2).contiguous())
            feats[task] = maps
        self.outs = {}
        return feats
