"""LoRA: a low-rank update added to the output of chosen ``nn.Linear``."""
import math
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .method import PEFTMethod

__all__ = ['LoRA', 'LoRADelta']

#: Module names of mmseg's (and mmpretrain's) Swin blocks.
SWIN_QKV = '*attn.w_msa.qkv'
SWIN_PROJ = '*attn.w_msa.proj'
SWIN_FC1 = '*ffn.layers.0.0'
SWIN_FC2 = '*ffn.layers.1'


class LoRADelta(nn.Module):
    """``y + scale * up(down(dropout(x)))`` for a frozen ``y = W x + b``.

    ``down`` starts as ``nn.Linear``'s default (Kaiming-uniform) and ``up``
    at zero, so the update is exactly zero at initialisation.

    Args:
        in_features: Input width of the adapted linear layer.
        out_features: Its output width.
        rank: The rank ``r``.
        scale: Multiplier of the update (``alpha / r``).
        dropout: Dropout on the LoRA input.
    """

    def __init__(self, in_features: int, out_features: int, rank: int,
                 scale: float, dropout: float) -> None:
        super().__init__()
        self.scale = scale
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.down = nn.Linear(in_features, rank, bias=False)
        self.up = nn.Linear(rank, out_features, bias=False)
        nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.up.weight)

    def forward(self, inputs: Tuple[Tensor, ...], output: Tensor) -> Tensor:
        """Add the update to the frozen layer's ``output``."""
        update = self.up(self.down(self.dropout(inputs[0])))
        return output + self.scale * update


@MODELS.register_module()
class LoRA(PEFTMethod):
    """Low-rank adaptation (Hu et al., 2022) of linear layers.

    Each matched ``nn.Linear(n_in, n_out)`` computes
    ``W x + b + (alpha / r) B A dropout(x)`` with ``A: r x n_in`` and
    ``B: n_out x r`` (``B = 0`` at init).

    Trainable parameters: ``r * (n_in + n_out)`` per target. On a Swin
    block of width ``d``: ``qkv`` ``4rd``, ``proj`` ``2rd``, ``fc1`` and
    ``fc2`` ``5rd`` each (MLP ratio 4). With ``qkv`` only (the default) the
    backbone adds ``4r * sum_i depth_i * d_i``: Swin-T
    (``sum_i depth_i d_i = 4416``) ``17,664 r``, i.e. 70,656 for r = 4;
    per task ``T`` times that.

    Args:
        rank: The rank ``r``.
        alpha: Scale numerator; the update is multiplied by ``alpha / r``
            (None: ``alpha = r``, scale 1).
        dropout: Dropout on the LoRA input.
        targets: Module-name patterns; default ``qkv`` of every Swin block.
            :data:`SWIN_PROJ`, :data:`SWIN_FC1`, :data:`SWIN_FC2` add the
            projection and the MLP.

    Raises:
        ValueError: On a non-positive rank or a target that is not
            ``nn.Linear``.
    """

    default_targets = (SWIN_QKV, )

    def __init__(self,
                 rank: int = 4,
                 alpha: Optional[float] = None,
                 dropout: float = 0.0,
                 targets: Optional[Sequence[str]] = None) -> None:
        super().__init__(targets)
        if rank < 1:
            raise ValueError(f'LoRA: rank must be >= 1, got {rank}')
        self.rank = rank
        self.scale = (rank if alpha is None else alpha) / rank
        self.dropout = dropout

    def build_delta(self, name: str, module: nn.Module) -> LoRADelta:
        if not isinstance(module, nn.Linear):
            raise ValueError(f'LoRA: target {name!r} is a '
                             f'{type(module).__name__}, not nn.Linear')
        return LoRADelta(module.in_features, module.out_features, self.rank,
                         self.scale, self.dropout)
