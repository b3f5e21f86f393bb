"""Polyhistor-Lite: hyper-network-generated adapters with scaling kernels.

Liu et al., "Polyhistor: Parameter-Efficient Multi-Task Adaptation for
Dense Vision Tasks", NeurIPS 2022. No public code exists; this module is
written from the paper's description, with the choices it leaves open
stated in :class:`PolyhistorLite`.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .method import PEFTMethod

__all__ = ['PolyhistorLite', 'PolyhistorHyperNet', 'PolyhistorAdapterDelta']


class PolyhistorHyperNet(nn.Module):
    """Task / layer embeddings -> the two template kernels of one adapter.

    ``z = W2 GELU(W1 [e_task; e_layer] + b1) + b2`` (the task projector),
    then each template kernel ``K (m x n)`` is the product ``A B^T`` of two
    generated low-rank matrices ``A = H_A z`` (``m x rho``) and
    ``B = H_B z`` (``n x rho``): the decomposed lite hyper-network.
    ``H_A`` of the up-kernel starts at zero, so every generated up-kernel
    is zero at initialisation.

    Embeddings are appended as tasks and layers appear (one per
    :meth:`add_task` / :meth:`add_layer` call).

    Args:
        template_dims: Template width ``d_t`` (adapter input/output).
        template_hidden: Template bottleneck ``n_t``.
        task_dims: Task embedding size ``e_t``.
        layer_dims: Layer embedding size ``e_l``.
        proj_hidden: Hidden width ``h`` of the task projector.
        z_dims: Projector output ``e_z`` (hyper-network input).
        rank: Rank ``rho`` of the generated template kernels.
    """

    def __init__(self, template_dims: int, template_hidden: int,
                 task_dims: int, layer_dims: int, proj_hidden: int,
                 z_dims: int, rank: int) -> None:
        super().__init__()
        self.template_dims = template_dims
        self.template_hidden = template_hidden
        self.task_dims = task_dims
        self.layer_dims = layer_dims
        self.rank = rank
        self.task_embeds = nn.ParameterList()
        self.layer_embeds = nn.ParameterList()
        self.projector = nn.Sequential(
            nn.Linear(task_dims + layer_dims, proj_hidden), nn.GELU(),
            nn.Linear(proj_hidden, z_dims))
        d, n = template_dims, template_hidden
        self.down_a = nn.Linear(z_dims, n * rank)  # rows of K_down (n x d)
        self.down_b = nn.Linear(z_dims, d * rank)
        self.up_a = nn.Linear(z_dims, d * rank)  # rows of K_up (d x n)
        self.up_b = nn.Linear(z_dims, n * rank)
        nn.init.zeros_(self.up_a.weight)
        nn.init.zeros_(self.up_a.bias)

    def add_task(self) -> int:
        """Append a task embedding (``N(0, 1)``); returns its index."""
        self.task_embeds.append(nn.Parameter(torch.randn(self.task_dims)))
        return len(self.task_embeds) - 1

    def add_layer(self) -> int:
        """Append a layer embedding (``N(0, 1)``); returns its index."""
        self.layer_embeds.append(nn.Parameter(torch.randn(self.layer_dims)))
        return len(self.layer_embeds) - 1

    def forward(self, task: int, layer: int) -> Tuple[Tensor, Tensor]:
        """Template kernels ``(K_down (n_t x d_t), K_up (d_t x n_t))``."""
        e = torch.cat([self.task_embeds[task], self.layer_embeds[layer]])
        z = self.projector(e)
        d, n, r = self.template_dims, self.template_hidden, self.rank
        down = self.down_a(z).view(n, r) @ self.down_b(z).view(d, r).t()
        up = self.up_a(z).view(d, r) @ self.up_b(z).view(n, r).t()
        return down, up


class PolyhistorAdapterDelta(nn.Module):
    """``h + W_up GELU(W_down h)`` with Kronecker-scaled generated kernels.

    ``W_down = S_down (x) K_down`` (``k n_t x k d_t``) and
    ``W_up = S_up (x) K_up`` (``k d_t x k n_t``), ``(x)`` the Kronecker
    product, ``S`` this layer's ``k x k`` scaling kernels (trainable, shared
    by the tasks; start at ``N(0, 1/k)`` for ``S_down`` and the identity
    for ``S_up``) and ``K`` the task's template kernels from the shared
    hyper-network.

    The hyper-network is registered under one delta only (the first built,
    ``owns_hyper=True``); the others hold an unregistered reference, so
    its parameters appear once in ``named_parameters`` and the state dict.

    Args:
        hyper: The shared hyper-network.
        task: Task index into ``hyper``'s embeddings.
        layer: Layer index into ``hyper``'s embeddings.
        scale_down: This layer's ``S_down`` (shared by the layer's tasks).
        scale_up: This layer's ``S_up``.
        owns_hyper: Register ``hyper`` as a submodule of this delta.
    """

    def __init__(self, hyper: PolyhistorHyperNet, task: int, layer: int,
                 scale_down: nn.Parameter, scale_up: nn.Parameter,
                 owns_hyper: bool) -> None:
        super().__init__()
        self.task = task
        self.layer = layer
        if owns_hyper:
            self.hyper = hyper
        self._hyper = (hyper, )  # unregistered reference
        # The first delta of a layer registers its scaling kernels.
        self._scales = (scale_down, scale_up)
        if task == 0:
            self.scale_down = scale_down
            self.scale_up = scale_up
        self.act = nn.GELU()

    def weights(self) -> Tuple[Tensor, Tensor]:
        """The generated ``(W_down, W_up)`` of this task and layer."""
        down, up = self._hyper[0](self.task, self.layer)
        scale_down, scale_up = self._scales
        return torch.kron(scale_down, down), torch.kron(scale_up, up)

    def forward(self, inputs: Tuple[Tensor, ...], output: Tensor) -> Tensor:
        """Add the generated bottleneck's output to the module's output."""
        w_down, w_up = self.weights()
        hidden = self.act(output @ w_down.t().to(output.dtype))
        return output + hidden @ w_up.t().to(output.dtype)


@MODELS.register_module()
class PolyhistorLite(PEFTMethod):
    """Polyhistor-Lite (Liu et al., NeurIPS 2022) for hierarchical ViTs.

    One adapter per block in series after the MLP (default target mmcv's
    ``FFN.layers`` of each Swin block, as :class:`HoulsbyAdapter`):
    ``x2 = x1 + h + W_up GELU(W_down h)`` with ``h = MLP(LN2(x1))``. The
    adapter weights of task ``t`` and layer ``l`` (width ``d_l``) are
    ``W_down = S_down^l (x) K_down(t, l)`` and
    ``W_up = S_up^l (x) K_up(t, l)``: one template size ``n_t x d_t`` (the
    first, smallest stage: ``d_t = 96``, ``n_t = d_t / reduction`` for
    Swin-T) reused at every stage, scaled by the layer-wise scaling kernels
    ``S^l`` of size ``k_l x k_l``, ``k_l = d_l / d_t``; the templates come
    from one decomposed lite hyper-network shared by all tasks and layers
    (:class:`PolyhistorHyperNet`).

    Interpretation (the paper leaves these open):

    * Placement: one adapter per block, after the MLP, in series (the
      mmvmt Houlsby placement); no adapter after attention.
    * Hyper-network input: ``[e_task; e_layer]`` through a two-layer GELU
      projector (Hyperformer's task projector), ``e_t = e_l = 64``,
      ``h = 128``, ``e_z = 64``.
    * Decomposition: each template kernel is ``A B^T`` with ``A``, ``B``
      generated by two linear heads (rank ``rho = 8``); down and up kernels
      have their own heads.
    * Scaling kernels: square ``k x k`` per layer and per kernel, trained
      directly (not generated), shared by the tasks; stage-1 layers keep a
      ``1 x 1`` scalar. ``S_up`` starts at the identity, ``S_down`` at
      ``N(0, 1/k)``.
    * No adapter biases (only weights are generated). Bottleneck
      ``k_l n_t``: ``d_l / 4`` with the default ``reduction = 4``.
    * Identity at init: the up-kernel's ``A`` head is zero, so every
      generated ``W_up`` is exactly zero.
    * Multi-task forward: every adapter is task specific from the first
      block on, so the tasks' features differ everywhere and one pass
      cannot serve all tasks: use ``PEFTBackbone(per_task=True)``, ``T``
      adapted passes sharing the frozen weights and the hyper-network
      (``per_task=False`` is a single-task-embedding variant, one pass).

    Trainable parameters (``T`` tasks (groups), ``L`` adapted blocks,
    ``d_t``, ``n_t``)::

        T e_t + L e_l + (e_t + e_l) h + h + h e_z + e_z
        + 2 (e_z + 1) rho (d_t + n_t) + 2 sum_l k_l^2

    Swin-T (``k_l^2 = 1, 1, 4, 4, 16 x 6, 64, 64``, ``sum = 234``), the
    defaults, T = 4: 256 + 768 + 24,768 + 124,800 + 468 = 151,060
    (150,868 shared: ``T = 1``).

    Build one instance per backbone: the task of a delta is the count of
    earlier deltas of the same target (``PEFTBackbone`` builds a target's
    groups consecutively, in task order).

    Args:
        reduction: ``d_t / n_t``.
        rank: Rank ``rho`` of the generated template kernels.
        task_dims: Task embedding size ``e_t``.
        layer_dims: Layer embedding size ``e_l``.
        proj_hidden: Hidden width ``h`` of the task projector.
        z_dims: Projector output ``e_z``.
        template_dims: ``d_t``; None: the width of the first target.
        targets: Module-name patterns; the width ``d_l`` is the output of
            the target's last ``nn.Linear``.

    Raises:
        ValueError: On non-positive sizes, a target without ``nn.Linear``,
            a width that is not a multiple of ``d_t``, ``d_t < reduction``
            or an instance reused for a second backbone.
    """

    default_targets = ('*ffn.layers', )

    def __init__(self,
                 reduction: int = 4,
                 rank: int = 8,
                 task_dims: int = 64,
                 layer_dims: int = 64,
                 proj_hidden: int = 128,
                 z_dims: int = 64,
                 template_dims: Optional[int] = None,
                 targets: Optional[Sequence[str]] = None) -> None:
        super().__init__(targets)
        sizes = dict(
            reduction=reduction,
            rank=rank,
            task_dims=task_dims,
            layer_dims=layer_dims,
            proj_hidden=proj_hidden,
            z_dims=z_dims)
        if template_dims is not None:
            sizes['template_dims'] = template_dims
        for key, value in sizes.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'PolyhistorLite: {key} must be a positive '
                                 f'int, got {value!r}')
        self.sizes = sizes
        self.template_dims = template_dims
        self.hyper: Optional[PolyhistorHyperNet] = None
        #: target name -> (layer index, S_down, S_up, deltas built)
        self._layers: Dict[str, List] = {}
        self._last: Optional[str] = None

    def _hyper_for(self, dims: int) -> PolyhistorHyperNet:
        if self.hyper is None:
            d_t = self.template_dims or dims
            if d_t < self.sizes['reduction']:
                raise ValueError(f'PolyhistorLite: template width {d_t} < '
                                 f'reduction {self.sizes["reduction"]}')
            s = self.sizes
            self.hyper = PolyhistorHyperNet(d_t, d_t // s['reduction'],
                                            s['task_dims'], s['layer_dims'],
                                            s['proj_hidden'], s['z_dims'],
                                            s['rank'])
        return self.hyper

    def build_delta(self, name: str,
                    module: nn.Module) -> PolyhistorAdapterDelta:
        linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(f'PolyhistorLite: target {name!r} '
                             f'({type(module).__name__}) has no nn.Linear '
                             'to take its output width from')
        dims = linears[-1].out_features
        owns = self.hyper is None
        hyper = self._hyper_for(dims)
        if name in self._layers and name != self._last:
            raise ValueError('PolyhistorLite: this instance already built '
                             f'the deltas of {name!r}; build one '
                             'PolyhistorLite per backbone')
        if name not in self._layers:
            if dims % hyper.template_dims:
                raise ValueError(f'PolyhistorLite: target {name!r} has '
                                 f'width {dims}, not a multiple of the '
                                 f'template width {hyper.template_dims}')
            k = dims // hyper.template_dims
            self._layers[name] = [
                hyper.add_layer(),
                nn.Parameter(torch.randn(k, k) / k**0.5),
                nn.Parameter(torch.eye(k)), 0
            ]
        entry = self._layers[name]
        task = entry[3]
        if task == len(hyper.task_embeds):
            hyper.add_task()
        entry[3] += 1
        self._last = name
        return PolyhistorAdapterDelta(hyper, task, entry[0], entry[1],
                                      entry[2], owns)
