"""MTLoRA's multi-task pass through mmseg's Swin (see :class:`MTLoRA`).

One shared pass; in the last block of each stage the shared work (``norm1``,
``qkv`` with its shared LoRA, the window attention and the frozen
``W x + b`` of ``proj`` / ``fc1`` / ``fc2``) runs once, and each task adds
only its low-rank updates and its own ``norm2`` / GELU / residual stream
(and, with the public taps, its patch merging). The stage's other blocks
and the shared LoRA on them run through :class:`PEFTBackbone`'s hooks as
for any shared method.

Per-task outputs travel stacked on a leading axis (shared stream first,
when kept, then the tasks in order), so every per-sample operation (norms,
GELU, window merging, drop path, patch merging) runs once on the stack.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ..mmseg_compat import swin_window_attention
from .lora import LoRADelta

__all__ = ['MTLoRALinear', 'MTLoRABlock', 'MTLoRATaskBranch', 'TAPS']

#: Feature taps: mmseg's (each stage's output before its downsample, after
#: ``norm{i}``) or the public MTLoRA code's (after the patch merging).
TAPS = ('mmvmt', 'public')


class MTLoRALinear(nn.Module):
    """Shared and task-specific LoRA of one frozen ``nn.Linear``.

    For input ``x`` (the shared stream) and task inputs ``x_t``, as the
    public ``MTLoRALinear`` (``shared_mode='matrix'``)::

        shared = W x + b + s B A drop(x)
        task t = W x + b + s B_t A_t x_t      (x_t = drop(x) if not given)

    ``W x + b`` is computed once. The frozen layer is passed to
    :meth:`forward`, not held, so its weights stay the backbone's alone.

    Args:
        in_features: Input width of the frozen layer.
        out_features: Its output width.
        tasks: Task names.
        rank: Shared rank (ignored when ``shared`` is False).
        task_rank: Task rank.
        scale: Multiplier of every update.
        dropout: Dropout on the shared input of the updates.
        shared: Whether the shared output (and its LoRA) exists.
    """

    def __init__(self, in_features: int, out_features: int,
                 tasks: Sequence[str], rank: int, task_rank: int, scale: float,
                 dropout: float, shared: bool) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.shared = (
            LoRADelta(in_features, out_features, rank, scale, 0.)
            if shared else None)
        self.tasks = nn.ModuleDict({
            t:
            LoRADelta(in_features, out_features, task_rank, scale, 0.)
            for t in tasks
        })

    def forward(self,
                linear: nn.Linear,
                x: Tensor,
                x_tasks: Optional[Tensor] = None) -> Tensor:
        """Outputs ``(S + T, ...)``: shared (``S = 1`` if kept), tasks.

        Args:
            linear: The frozen layer.
            x: Shared input ``(..., in_features)``.
            x_tasks: Task inputs ``(T, ..., in_features)``; None uses the
                dropped-out shared input for every task.
        """
        frozen = F.linear(x, linear.weight, linear.bias)
        dropped = self.dropout(x)
        outs = [] if self.shared is None else [
            self.shared((dropped, ), frozen)
        ]
        for t, delta in enumerate(self.tasks.values()):
            inputs = dropped if x_tasks is None else x_tasks[t]
            outs.append(delta((inputs, ), frozen))
        return torch.stack(outs)


class MTLoRABlock(nn.Module):
    """The MTLoRA updates of one stage's last Swin block, and its pass.

    :meth:`forward` runs mmseg's ``SwinBlock`` (passed in) as the public
    MTLoRA code runs the block with tasks (``lora=True``)::

        a    = WindowAttention-before-proj(norm1(x))          # once
        x1   = x + DropPath(merge(proj_shared(a)))
        y_t  = x + DropPath(merge(proj_t(a)))                 # per task
        h    = fc1_shared(norm2(x1)),  h_t = fc1_t(norm2(x1); norm2(y_t))
        out  = x1 + DropPath(fc2_shared(GELU(h)))
        z_t  = y_t + DropPath(fc2_t(GELU(h); GELU(h_t)))

    where ``f_t(u; v) = W u + b + s B_t A_t v`` (:class:`MTLoRALinear`).
    ``out`` feeds the next stage, ``z_t`` is task ``t``'s stage output.

    Args:
        dims: The block's width ``d``.
        hidden: Its MLP width.
        tasks: Task names.
        rank: Shared rank.
        task_rank: Task rank.
        scale: Multiplier of every update.
        dropout: Dropout on the shared input of the updates.
        keep_shared: Whether the shared output feeds anything (a next
            stage). Without, ``fc2`` has no shared LoRA: it could reach no
            output.
    """

    def __init__(self, dims: int, hidden: int, tasks: Sequence[str], rank: int,
                 task_rank: int, scale: float, dropout: float,
                 keep_shared: bool) -> None:
        super().__init__()
        self.keep_shared = keep_shared
        args = (tasks, rank, task_rank, scale, dropout)
        self.proj = MTLoRALinear(dims, dims, *args, shared=True)
        self.fc1 = MTLoRALinear(dims, hidden, *args, shared=True)
        self.fc2 = MTLoRALinear(hidden, dims, *args, shared=keep_shared)

    def forward(self, block: nn.Module, x: Tensor,
                hw_shape: Sequence[int]) -> Tensor:
        """The block on ``x`` ``(B, L, C)``.

        Returns:
            Tensor: ``(S + T, B, L, C)``: the shared output first when
            ``keep_shared``, then each task's output.
        """
        B = x.shape[0]
        attn, ffn = block.attn, block.ffn
        y = swin_window_attention(attn, block.norm1(x), hw_shape,
                                  lambda a: self.proj(attn.w_msa.proj, a))
        y = y.unflatten(0, (-1, B)) + x  # (1 + T, B, L, C)
        u = block.norm2(y)
        fc1, act, drop1 = ffn.layers[0]
        fc2, drop2 = ffn.layers[1], ffn.layers[2]
        h = drop1(act(self.fc1(fc1, u[0], u[1:])))
        out = ffn.gamma2(drop2(self.fc2(fc2, h[0], h[1:])))
        out = ffn.dropout_layer(out.flatten(0, 1)).unflatten(0, (-1, B))
        return (y if self.keep_shared else y[1:]) + out


def _check_swin(backbone: nn.Module) -> None:
    """mmseg's Swin with all stages tapped and no absolute position."""
    needed = ('patch_embed', 'stages', 'out_indices', 'num_features',
              'drop_after_pos')
    missing = [a for a in needed if not hasattr(backbone, a)]
    if missing:
        raise ValueError('MTLoRA needs mmseg\'s SwinTransformer; '
                         f'{type(backbone).__name__} lacks {missing}')
    stages = tuple(range(len(backbone.stages)))
    if tuple(backbone.out_indices) != stages:
        raise ValueError(
            'MTLoRA: the Swin must output every stage (each stage\'s task '
            f'updates feed its map), out_indices={stages}; got '
            f'{tuple(backbone.out_indices)}')
    if getattr(backbone, 'use_abs_pos_embed', False):
        raise ValueError('MTLoRA: use_abs_pos_embed=True is not supported')
    for i, stage in enumerate(backbone.stages):
        ffn = stage.blocks[-1].ffn
        if not (len(ffn.layers) == 3 and ffn.add_identity):
            raise ValueError(f'MTLoRA: stages.{i}\'s last block needs '
                             'mmcv\'s 2-layer FFN with identity')


class MTLoRATaskBranch(nn.Module):
    """MTLoRA's per-stage updates and the pass giving every task's maps.

    Built by :meth:`MTLoRA.build_task_branch`; :class:`PEFTBackbone` keeps
    it under ``peft.task_branch`` (``stages.<i>.{proj,fc1,fc2}.shared`` /
    ``.tasks.<task>``) and calls it instead of the backbone. It adapts
    ``proj``, ``fc1``, ``fc2`` of each stage's last block itself
    (:attr:`targets`); PEFTBackbone puts no hook on them.

    ``with_cp=True`` checkpoints each last block's whole multi-task pass
    once: the shared work is recomputed once per backward, never per task.

    Args:
        backbone: mmseg's ``SwinTransformer`` (every stage in
            ``out_indices``, no absolute position embedding).
        tasks: Task names.
        rank: Shared rank.
        task_rank: Task rank.
        scale: Multiplier of every update.
        dropout: Dropout on the shared input of the updates.
        taps: ``'mmvmt'`` or ``'public'`` (see :data:`TAPS`).

    Raises:
        ValueError: On another backbone or an unknown ``taps``.
    """

    def __init__(self, backbone: nn.Module, tasks: Sequence[str], rank: int,
                 task_rank: int, scale: float, dropout: float,
                 taps: str) -> None:
        super().__init__()
        if taps not in TAPS:
            raise ValueError(f'MTLoRA: taps must be one of {TAPS}, got '
                             f'{taps!r}')
        _check_swin(backbone)
        self.tasks = tuple(tasks)
        self.taps = taps
        self.stages = nn.ModuleList()
        #: Names (in the backbone) of the linear layers adapted here.
        self.targets = []  # type: List[str]
        last = len(backbone.stages) - 1
        for i, stage in enumerate(backbone.stages):
            j = len(stage.blocks) - 1
            fc1 = stage.blocks[j].ffn.layers[0][0]
            self.stages.append(
                MTLoRABlock(fc1.in_features, fc1.out_features, self.tasks,
                            rank, task_rank, scale, dropout, i < last))
            self.targets += [
                f'stages.{i}.blocks.{j}.{t}'
                for t in ('attn.w_msa.proj', 'ffn.layers.0.0', 'ffn.layers.1')
            ]

    def _last_block(self, i: int, block: nn.Module, x: Tensor,
                    hw_shape: Sequence[int]) -> Tensor:
        run = self.stages[i]
        if getattr(block, 'with_cp', False) and x.requires_grad:
            return checkpoint(
                lambda inp: run(block, inp, hw_shape), x, use_reentrant=False)
        return run(block, x, hw_shape)

    def forward(self, backbone: nn.Module,
                x: Tensor) -> Dict[str, List[Tensor]]:
        """The shared pass with every task's stage outputs.

        Returns:
            dict: Task -> its four maps ``(B, C_i, H_i, W_i)``: with the
            mmvmt taps each stage's output before the downsample after
            ``norm{i}`` (``d_i`` channels, stride ``2^{i+2}``); with the
            public taps after the (shared-weight) patch merging, the last
            stage as it is (``2 d_i`` / ``d_3`` channels, strides 8, 16,
            32, 32, no norm).
        """
        num_tasks = len(self.tasks)
        x, hw_shape = backbone.patch_embed(x)
        x = backbone.drop_after_pos(x)
        maps = []
        for i, stage in enumerate(backbone.stages):
            for block in stage.blocks[:-1]:
                x = block(x, hw_shape)
            outs = self._last_block(i, stage.blocks[-1], x, hw_shape)
            B, tap_hw = x.shape[0], hw_shape
            norm = getattr(backbone, f'norm{i}')
            if stage.downsample is None:  # the last stage: tasks only
                tasks = outs if self.taps == 'public' else norm(outs)
            elif self.taps == 'public':
                merged, hw_shape = stage.downsample(
                    outs.flatten(0, 1), hw_shape)
                merged = merged.unflatten(0, (-1, B))
                x, tasks, tap_hw = merged[0], merged[1:], hw_shape
            else:
                x, hw_shape = stage.downsample(outs[0], hw_shape)
                tasks = norm(outs[1:])
            tasks = tasks.view(num_tasks, B, *tap_hw, -1)
            maps.append(tasks.permute(0, 1, 4, 2, 3).contiguous())
        return {
            task: [m[t] for m in maps]
            for t, task in enumerate(self.tasks)
        }
