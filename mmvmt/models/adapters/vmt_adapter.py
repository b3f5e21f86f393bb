"""VMT-Adapter: one adapter per transformer block, parallel to the MLP.

The paper (VMT-Adapter, AAAI 2024) publishes no code; the formulation below
is ours (``docs/design.md`` section 3). With ``u = LN2(x1)`` the input of the
block's MLP and tasks ``t = 1..T``::

    h     = act(u W_down + b_down)                  # shared, N x k
    e_t   = extraction_t(h)                         # e.g. gamma_t * h + beta_t
    e_bar = mean_t e_t
    x2    = x1 + MLP(u) + s * (e_bar W_up + b_up)   # task-generic stream
    r_t  += s * (e_t - e_bar) W_up                  # task-specific side stream

The adapter computes the task-generic update and returns the bottleneck
deviations ``e_t - e_bar``; the backbone projects them to full width once
per stage (see :class:`~mmvmt.models.backbones.VMTSwinTransformer`).

Tasks added to a trained model (``added_tasks``) each get their own
one-task extraction; ``e_bar`` stays the mean over the ``num_tasks`` base
tasks, so the task-generic update and the base tasks' deviations are
computed exactly as without them (``docs/design.md`` section 3.1).
"""
import math
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from .task_extraction import BaseTaskExtraction

__all__ = ['AdapterOutput', 'VMTAdapter']


class AdapterOutput(NamedTuple):
    """What :meth:`VMTAdapter.forward` returns.

    Attributes:
        out: ``identity + s * (e_bar W_up + b_up)``, ``(B, N, d)``.
        delta: ``e_t - e_bar`` of the base tasks, ``(T, B, N, k)``; None
            with a single base task (identically zero).
        added: ``e_t - e_bar`` of each added task, ``(1, B, N, k)`` each,
            in the order of ``added_tasks`` (empty without added tasks).
    """
    out: Tensor
    delta: Optional[Tensor]
    added: Tuple[Tensor, ...]


@MODELS.register_module()
class VMTAdapter(BaseModule):
    """Vision Multi-Task Adapter (and its Lite variant) for one block.

    Initialisation makes the adapter's contribution exactly zero, so an adapted
    backbone starts from exactly the pretrained features:

    * VMT: ``W_up = 0``, ``b_up = 0``; ``W_down`` keeps PyTorch's default
      ``nn.Linear`` (Kaiming-uniform) init, ``b_down = 0``.
    * Lite: ``W_up = W_down^T`` (one matrix, separate biases) cannot be zero,
      so a learnable scale ``s`` starts at 0 instead.
    * Extraction: identity (``gamma = 1``, ``beta = 0``), hence ``e_t = e_bar``
      and all side streams are zero.

    Args:
        embed_dims: Block width ``d``.
        num_tasks: Number of (base) tasks ``T``: ``e_bar`` is their mean.
        reduction: Bottleneck reduction ``r``; ``k = max(1, d // r)``.
            Defaults to 16.
        lite: Tie the up-projection to the down-projection's transpose
            (VMT-Adapter-Lite). Defaults to False.
        act_cfg: Bottleneck activation. Defaults to GELU, the activation of
            Swin's MLP (the paper leaves it open).
        scale: The scale ``s``. ``None`` (default) picks a fixed 1.0 for VMT
            and a learnable scale starting at 0 for Lite; a number is a fixed
            scale (VMT only); ``'learnable'`` is a learnable scalar starting
            at 1.0 for VMT and 0.0 for Lite.
        extraction_cfg: Config of the task-specific knowledge extraction, a
            :class:`BaseTaskExtraction` registered in ``MODELS``; it is built
            with ``num_tasks`` and ``channels=k``. Defaults to
            ``dict(type='TaskScaleShift')``.
        added_tasks: Tasks added after the base tasks were trained: each
            gets a one-task extraction ``added_extraction[task]`` (same
            type), its feature ``e_t`` and deviation ``e_t - e_bar``, and
            takes no part in ``e_bar``. Defaults to none.
        init_cfg: Unused; initialisation is fixed by :meth:`init_weights`.

    Raises:
        ValueError: On a fixed scale for Lite (its output would not start at
            zero) or an invalid ``scale``.
        TypeError: If the extraction is not a :class:`BaseTaskExtraction`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_tasks: int,
                 reduction: int = 16,
                 lite: bool = False,
                 act_cfg: dict = dict(type='GELU'),
                 scale: Union[None, float, str] = None,
                 extraction_cfg: dict = dict(type='TaskScaleShift'),
                 added_tasks: Sequence[str] = (),
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if reduction < 1:
            raise ValueError(f'VMTAdapter: reduction must be >= 1, '
                             f'got {reduction}')
        self.embed_dims = embed_dims
        self.num_tasks = num_tasks
        self.lite = lite
        self.hidden_dims = max(1, embed_dims // reduction)

        self.down = nn.Linear(embed_dims, self.hidden_dims)
        self.act = build_activation_layer(act_cfg)
        if lite:
            self.up_bias = nn.Parameter(torch.zeros(embed_dims))
        else:
            self.up = nn.Linear(self.hidden_dims, embed_dims)

        if scale is None:
            scale = 'learnable' if lite else 1.0
        if scale == 'learnable':
            self.scale = nn.Parameter(torch.tensor(self._scale_init))
        elif isinstance(scale, (int, float)) and not isinstance(scale, bool):
            if lite:
                raise ValueError(
                    'VMTAdapter(lite=True) needs a learnable scale starting '
                    f'at 0 (scale=None or "learnable"), got scale={scale}')
            self.scale = float(scale)
        else:
            raise ValueError('VMTAdapter: scale must be None, a number or '
                             f'"learnable", got {scale!r}')

        self.extraction = self._build_extraction(extraction_cfg, num_tasks)
        self.added_tasks = tuple(added_tasks)
        self.added_extraction = nn.ModuleDict({
            task:
            self._build_extraction(extraction_cfg, 1)
            for task in self.added_tasks
        })
        self.init_weights()

    def _build_extraction(self, cfg: dict,
                          num_tasks: int) -> BaseTaskExtraction:
        extraction = MODELS.build(
            dict(cfg, num_tasks=num_tasks, channels=self.hidden_dims))
        if not isinstance(extraction, BaseTaskExtraction):
            raise TypeError('VMTAdapter: extraction_cfg must build a '
                            'BaseTaskExtraction, got '
                            f'{type(extraction).__name__}')
        return extraction

    @property
    def _scale_init(self) -> float:
        return 0. if self.lite else 1.

    @property
    def _unit_scale(self) -> bool:
        """Whether ``s`` is the fixed number 1 (multiplication skipped)."""
        return isinstance(self.scale, float) and self.scale == 1.0

    def init_weights(self) -> None:
        """Reset to the zero-contribution initialisation (see class doc)."""
        nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.down.bias)
        if self.lite:
            nn.init.zeros_(self.up_bias)
        else:
            nn.init.zeros_(self.up.weight)
            nn.init.zeros_(self.up.bias)
        if isinstance(self.scale, nn.Parameter):
            with torch.no_grad():
                self.scale.fill_(self._scale_init)
        self.extraction.init_weights()
        for extraction in self.added_extraction.values():
            extraction.init_weights()

    def _up_params(self) -> Tuple[Tensor, Tensor]:
        """Up-projection as ``nn.Linear`` weight ``(d, k)`` and bias."""
        if self.lite:
            return self.down.weight.t(), self.up_bias
        return self.up.weight, self.up.bias

    def side_weight(self) -> Tensor:
        """``s * W_up`` as a ``(k, d)`` matrix: projects side-stream deltas."""
        weight = self._up_params()[0].t()
        return weight if self._unit_scale else weight * self.scale

    def forward(self, u: Tensor, identity: Tensor) -> AdapterOutput:
        """Add the task-generic update; return the bottleneck deviations.

        Args:
            u: Input of the block's MLP, ``(B, N, d)``.
            identity: What the update is added to (the block's output without
                adapter), ``(B, N, d)``.

        Returns:
            AdapterOutput: ``identity + s * (e_bar W_up + b_up)``, the base
            tasks' ``e_t - e_bar`` and the added tasks'. The first two are
            computed by the same operations whether or not tasks were added.
        """
        h = self.act(self.down(u))
        weight, bias = self._up_params()
        if not self._unit_scale:
            weight, bias = weight * self.scale, bias * self.scale
        e_bar = self.extraction.task_mean(h)
        out = identity + F.linear(e_bar, weight, bias)
        delta = None if self.num_tasks == 1 else self.extraction.task_delta(h)
        added = tuple(
            extraction(h) - e_bar
            for extraction in self.added_extraction.values())
        return AdapterOutput(out, delta, added)
