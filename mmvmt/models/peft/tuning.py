"""Methods that train a subset of the pretrained parameters themselves."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS
from torch.nn.modules.batchnorm import _NormBase

from .method import PEFTMethod

__all__ = ['BitFit', 'RelPosBiasTuning']

NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, _NormBase)


@MODELS.register_module()
class BitFit(PEFTMethod):
    """BitFit (Ben Zaken et al., 2022): train the bias terms only.

    With ``norm_bias=True`` (default, as BitFit) the normalisation biases
    (LayerNorm ``beta``) count as bias terms; with False only those of the
    other layers (linear, conv) train.

    Trainable parameters on mmseg's Swin (embed ``C``, ``d_i = 2^i C``,
    depths ``D_i``, MLP ratio 4, no bias in the patch merging's linear):
    without norms ``9 sum_i D_i d_i + C`` (qkv 3d, proj d, fc1 4d, fc2 d per
    block, the patch embedding conv C); norms add ``2 sum_i D_i d_i + C +
    4 (d_0 + d_1 + d_2) + sum_i d_i`` (2 per block, the patch embedding's,
    the patch merging's and the four output norms). Swin-T: 52,896 with
    norm biases, 39,840 without; per task ``T`` times that.

    Args:
        norm_bias: Whether normalisation biases count.
        targets: Module-name patterns (default every module).
    """

    default_targets = ('*', )

    def __init__(self,
                 norm_bias: bool = True,
                 targets: Optional[Sequence[str]] = None) -> None:
        super().__init__(targets)
        self.norm_bias = norm_bias

    def tuned_names(self, name: str, module: nn.Module) -> Tuple[str, ...]:
        if not self.norm_bias and isinstance(module, NORM_TYPES):
            return ()
        bias = module._parameters.get('bias')
        return ('bias', ) if isinstance(bias, nn.Parameter) else ()


@MODELS.register_module()
class RelPosBiasTuning(PEFTMethod):
    """Train the relative position bias tables of the Swin windows only.

    Trainable parameters: ``(2w - 1)^2 * heads`` per block; Swin-T
    (w = 7, heads 3, 6, 12, 24, depths 2, 2, 6, 2) ``169 * 138 = 23,322``;
    per task ``T`` times that.

    Args:
        param_name: The tables' local parameter name (mmseg and mmpretrain
            both use ``relative_position_bias_table``).
        targets: Module-name patterns (default every module).
    """

    default_targets = ('*', )

    def __init__(self,
                 param_name: str = 'relative_position_bias_table',
                 targets: Optional[Sequence[str]] = None) -> None:
        super().__init__(targets)
        self.param_name = param_name

    def tuned_names(self, name: str, module: nn.Module) -> Tuple[str, ...]:
        table = module._parameters.get(self.param_name)
        return (self.param_name, ) if table is not None else ()
