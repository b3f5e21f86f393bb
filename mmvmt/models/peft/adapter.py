"""Houlsby-style bottleneck adapter in series after a block's MLP."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .method import PEFTMethod

__all__ = ['HoulsbyAdapter', 'SeriesAdapterDelta']


class SeriesAdapterDelta(nn.Module):
    """``h + up(act(down(h)))`` on the output ``h`` of the adapted module.

    ``up`` (weight and bias) starts at zero: the identity at init.

    Args:
        embed_dims: Width ``d`` of ``h``.
        hidden_dims: Bottleneck width ``k``.
    """

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__()
        self.down = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.up = nn.Linear(hidden_dims, embed_dims)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, inputs: Tuple[Tensor, ...], output: Tensor) -> Tensor:
        """Add the bottleneck's output to the module's ``output``."""
        return output + self.up(self.act(self.down(output)))


@MODELS.register_module()
class HoulsbyAdapter(PEFTMethod):
    """Bottleneck adapter (Houlsby et al., 2019) after each MLP, in series.

    The default target is mmcv's ``FFN.layers`` of each Swin block (the MLP
    before the residual), so block ``l`` computes
    ``x2 = x1 + h + up(GELU(down(h)))`` with ``h = MLP(LN2(x1))``. The
    bottleneck is ``k = d // reduction`` (``reduction = 16`` as VMT).

    Trainable parameters per block of width ``d``: ``2dk + k + d``. Swin-T
    (``k = 6, 12, 24, 48``; depths 2, 2, 6, 2): 274,260; per task ``T``
    times that.

    Args:
        reduction: ``d / k``.
        targets: Module-name patterns; ``d`` is the output width of the
            target's last ``nn.Linear``.

    Raises:
        ValueError: If a target has no ``nn.Linear`` or ``d < reduction``.
    """

    default_targets = ('*ffn.layers', )

    def __init__(self,
                 reduction: int = 16,
                 targets: Optional[Sequence[str]] = None) -> None:
        super().__init__(targets)
        self.reduction = reduction

    def build_delta(self, name: str, module: nn.Module) -> SeriesAdapterDelta:
        linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(f'HoulsbyAdapter: target {name!r} '
                             f'({type(module).__name__}) has no nn.Linear '
                             'to take its output width from')
        dims = linears[-1].out_features
        if dims < self.reduction:
            raise ValueError(f'HoulsbyAdapter: target {name!r} has width '
                             f'{dims} < reduction {self.reduction}')
        return SeriesAdapterDelta(dims, dims // self.reduction)
