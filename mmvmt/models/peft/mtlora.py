"""MTLoRA (Agiza et al., CVPR 2024): shared LoRA plus task-specific LoRA.

The method as the public code (scale-lab/MTLoRA, ``SHARED_MODE='matrix'``,
``models/lora.py``, ``models/swin_transformer_mtlora.py``) computes it,
injected by :class:`~mmvmt.models.peft.PEFTBackbone` into mmseg's Swin.
The multi-task pass is :class:`.MTLoRATaskBranch` (``mtlora_branch.py``).
"""
import fnmatch
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS

from .lora import SWIN_FC1, SWIN_FC2, SWIN_PROJ, SWIN_QKV, LoRADelta
from .method import PEFTMethod
from .mtlora_branch import TAPS, MTLoRATaskBranch

__all__ = ['MTLoRA']

#: Pretrained parts MTLoRA's default training unfreezes (mmseg names). The
#: per-stage output norms ``norm0..3`` are mmseg's and stay frozen.
UNFROZEN = ('patch_embed*', 'stages.*norm*', '*attn.w_msa',
            'stages.*.downsample.reduction')


@MODELS.register_module()
class MTLoRA(PEFTMethod):
    """MTLoRA on mmseg's Swin: shared LoRA, task LoRA per stage's last block.

    * Task-agnostic LoRA (rank ``r``, shared by all tasks) on ``qkv``,
      ``proj``, ``fc1`` and ``fc2`` of every block.
    * In the last block of each stage the shared work runs once: ``norm1``,
      ``qkv`` with its shared LoRA, the window attention, and the frozen
      ``W x + b`` of ``proj``/``fc1``/``fc2`` on the shared input. Each task
      ``t`` adds only ``s B_t A_t x_t`` (rank ``r_t``) to those three
      (``qkv`` has none, as the public code builds it with ``tasks=None``)
      and has its own ``norm2``/GELU/residual stream:
      ``proj_t = W a + b + s B_t A_t drop(a)`` on the shared attention
      output ``a``; ``fc1_t = W u + b + s B_t A_t norm2(y_t)`` with ``u``
      the shared ``norm2`` output and ``y_t`` the task's post-attention
      stream; ``fc2_t = W g + b + s B_t A_t GELU(fc1_t)`` with ``g`` the
      shared GELU output (:class:`.MTLoRABlock` writes the block out).
      The shared stream goes on into the next stage; task streams never
      feed later stages.
    * Every update is multiplied by ``scale`` (4); dropout 0.05 on the
      shared input of the updates (the task inputs of ``fc1``/``fc2`` get
      none, as in the public code).
    * Trained pretrained parts: the patch embedding, the block and
      patch-merging norms, the relative position bias tables and the patch
      merging's reduction.
    * Feature taps (``taps``): ``'mmvmt'`` (default) takes each task's
      stage output before the downsample, after mmseg's frozen
      ``norm{i}`` (96/192/384/768 channels for Swin-T, strides 4-32: what
      mmvmt's heads take); ``'public'`` takes it as the public code does,
      after the stage's patch merging (shared weights, run per task) and
      the last stage as it is (192/384/768/768 channels, strides 8, 16,
      32, 32, no norm). The heads' ``in_channels`` must match.

    Trainable parameters (embed ``C``, ``d_i = 2^i C`` for stages
    ``i = 0..n-1``, depths ``D_i``, ``S = sum_i D_i d_i``, MLP ratio 4,
    patch 4, window ``w``, heads ``h_i``, ``T`` tasks):

    * shared LoRA ``16 r S - 5 r d_{n-1}`` (``qkv`` 4rd, ``proj`` 2rd,
      ``fc1``/``fc2`` 5rd each per block; the last stage's last ``fc2`` has
      none: its shared output feeds nothing, in the public code too);
    * task LoRA ``12 r_t sum_i d_i`` per task (``proj``, ``fc1``, ``fc2``
      of one block per stage);
    * unfrozen ``U = 51 C + 4 S + (2w - 1)^2 sum_i D_i h_i
      + 8 sum_{i<n-1} (d_i^2 + d_i)`` (patch conv and norm, ``norm1`` and
      ``norm2`` of every block, position tables, merging norm 8d and
      reduction 8d^2).

    Per task (forward, ``N_i`` tokens of stage i): ``12 r_t d_i N_i`` MACs
    of updates per stage, plus ``2 d_i^2 N_i`` of patch merging for
    ``i < n-1`` with the public taps (checked with ``FlopCounterMode``);
    Swin-T at 448x448: 0.11 / 0.80 GMAC (mmvmt / public taps), next to 19.4
    GMAC for the shared pass.

    Swin-T (``S = 4416``, ``sum d_i = 1440``, ``d_3 = 768``), T = 4,
    r_t = 4: shared 1,069,056 / 2,138,112 / 4,276,224 for r = 16 / 32 /
    64, task 69,120 per task, unfrozen 1,599,546; totals 2,945,082 /
    4,014,138 / 6,152,250. The public code counts 5 r d_3 = 61,440 /
    122,880 / 245,760 more (shared 1,130,496 / 2,260,992 / 4,521,984,
    totals 3,006,522 / 4,137,018 / 6,398,010, measured on its code): the
    last ``fc2``'s shared LoRA, which gets no gradient there either.

    Args:
        rank: Shared rank ``r``.
        task_rank: Task-specific rank ``r_t``.
        scale: Multiplier of every update (MTLoRA's shared and task scale).
        dropout: Dropout on the shared input of the updates.
        unfreeze: Whether the pretrained parts above train.
        taps: ``'mmvmt'`` or ``'public'`` feature taps (see above).

    Raises:
        ValueError: On a non-positive rank or an unknown ``taps``.
    """

    lora_targets = (SWIN_QKV, SWIN_PROJ, SWIN_FC1, SWIN_FC2)

    def __init__(self,
                 rank: int = 16,
                 task_rank: int = 4,
                 scale: float = 4.0,
                 dropout: float = 0.05,
                 unfreeze: bool = True,
                 taps: str = 'mmvmt') -> None:
        targets = self.lora_targets + (UNFROZEN if unfreeze else ())
        super().__init__(targets)
        if rank < 1 or task_rank < 1:
            raise ValueError('MTLoRA: rank and task_rank must be >= 1, got '
                             f'rank={rank}, task_rank={task_rank}')
        if taps not in TAPS:
            raise ValueError(f'MTLoRA: taps must be one of {TAPS}, got '
                             f'{taps!r}')
        self.rank = rank
        self.task_rank = task_rank
        self.scale = scale
        self.dropout = dropout
        self.unfreeze = unfreeze
        self.taps = taps

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
                          tasks: Sequence[str]) -> MTLoRATaskBranch:
        """The stage-end blocks' LoRA and the multi-task forward."""
        return MTLoRATaskBranch(backbone, tasks, self.rank, self.task_rank,
                                self.scale, self.dropout, self.taps)

    def __repr__(self) -> str:
        return (f'MTLoRA(rank={self.rank}, task_rank={self.task_rank}, '
                f'scale={self.scale}, dropout={self.dropout}, '
                f'unfreeze={self.unfreeze}, taps={self.taps!r})')
