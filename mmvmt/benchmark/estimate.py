"""Expected GPU hours of a run: counted FLOPs over an assumed rate.

An estimate, not a measurement. The forward multiply-adds of one image are
counted with mmengine's ``FlopAnalyzer`` on the built model
(``model._forward``, heads included; on CPU, no weights needed). A training
step is taken as 3x the forward of what trains (forward, input and weight
gradients) plus, for the backbone, 3x if it trains fully, 2x if only some
of it trains (adapters, LoRA, biases: the frozen weights need input
gradients only) and 1x if none of it does (decoder-only); x2 FLOPs per
multiply-add. A run is ``iterations x total batch`` training images plus
its validations and the test (forward only), divided by the assumed
sustained rate of one GPU.
"""
from typing import Tuple

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from torch import nn

__all__ = [
    'forward_gmacs', 'trains_of', 'train_gflop_per_image', 'run_gflop',
    'gpu_hours'
]

#: ``(model, backbone)`` GMAC.
Pair = Tuple[float, float]
#: Backbone factor of a training step per :func:`trains_of` answer.
BACKBONE_FACTOR = dict(all=3, some=2, none=1)


class _Forward(nn.Module):

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs):
        return self.model._forward(inputs)


def forward_gmacs(cfg, size: Tuple[int, int] = (448, 448)) -> Pair:
    """Forward multiply-adds (GMAC) of one image: model and backbone.

    Raises:
        RuntimeError: If the model cannot be traced (e.g. per-task PEFT
            methods, which run ``torch.func.functional_call``).
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model.to_dict()).eval()
    with torch.no_grad():
        counter = FlopAnalyzer(_Forward(model), (torch.zeros(1, 3, *size), ))
        counter.unsupported_ops_warnings(False)
        counter.uncalled_modules_warnings(False)
        total = counter.total()
        backbone = counter.by_module().get('model.backbone', 0)
    return total / 1e9, backbone / 1e9


def trains_of(backbone_trainable: int, backbone_params: int) -> str:
    """``'all'``, ``'some'`` or ``'none'`` of the backbone trains."""
    if backbone_trainable == 0:
        return 'none'
    return 'all' if backbone_trainable >= backbone_params else 'some'


def train_gflop_per_image(total: float, backbone: float, trains: str) -> float:
    """GFLOP of one training image (see the module docstring)."""
    heads = total - backbone
    return 2.0 * (3.0 * heads + BACKBONE_FACTOR[trains] * backbone)


def run_gflop(total: float, backbone: float, trains: str, images: int,
              evaluated: int) -> float:
    """GFLOP of a run: ``images`` trained, ``evaluated`` forward only."""
    return (images * train_gflop_per_image(total, backbone, trains) +
            evaluated * 2.0 * total)


def gpu_hours(gflop: float, tflops: float) -> float:
    """Hours at ``tflops`` sustained TFLOP/s."""
    return gflop / (tflops * 1e3) / 3600.0
