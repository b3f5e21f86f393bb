"""Inject a PEFT method into a frozen backbone, shared or once per task.

One mechanism hosts every method of :mod:`mmvmt.models.peft`: the wrapped
backbone keeps its own modules and parameter names (so its own
``init_cfg=Pretrained`` and stock checkpoints load unchanged), every
pretrained weight is frozen at construction (before DDP wraps the model),
and the method's new modules live beside it under ``peft.<group>.<target>``
(``<target>`` is the module name with ``.`` written ``__``), called through
forward hooks on the targets.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor
from torch.func import functional_call

from ...tasks import check_tasks
from .method import PEFTMethod, match_modules

__all__ = ['PEFTBackbone', 'SHARED']

#: Group name of the method's modules when all tasks share them.
SHARED = 'shared'
#: Key under ``peft`` of a method's per-task branch (see MTLoRA).
TASK_BRANCH = 'task_branch'
#: Tasks of a backbone built without ``tasks`` (outside the segmentor).
DEFAULT_TASKS = ('semseg', )

Feats = Union[Sequence[Tensor], Dict[str, Sequence[Tensor]]]


def _key(name: str) -> str:
    """A module or parameter name as a ModuleDict / ParameterDict key."""
    return name.replace('.', '__')


class _ActiveGroup:
    """Which group's deltas the hooks apply (set by the forward pass)."""

    def __init__(self, group: Optional[str]) -> None:
        self.group = group


class _DeltaHook:
    """Forward hook: ``output = peft[group][key](inputs, output)``."""

    def __init__(self, store: nn.ModuleDict, key: str,
                 active: _ActiveGroup) -> None:
        self.store = store
        self.key = key
        self.active = active

    def __call__(self, module: nn.Module, inputs: Tuple, output: Tensor):
        if self.active.group is None:
            raise RuntimeError(
                f'PEFT target {self.key.replace("__", ".")!r} was called '
                'outside PEFTBackbone.forward: per-task deltas need the '
                'task of the pass')
        return self.store[self.active.group][self.key](inputs, output)


@MODELS.register_module()
class PEFTBackbone(BaseModule):
    """A frozen backbone adapted by one PEFT method, shared or per task.

    * ``per_task=False``: one set of method parameters for all tasks, one
      backbone pass; :meth:`forward` returns the backbone's own output (one
      feature list shared by every head).
    * ``per_task=True``: ``T`` independent sets (the single-task method run
      once per task), sharing the frozen weights; :meth:`forward` runs one
      adapted pass per task and returns ``{task: feats}``. Tuned pretrained
      parameters (BitFit, position biases) get one copy per task, under
      ``task_tuned.<task>.<name>``, swapped in with
      ``torch.func.functional_call``.

    Trainable parameters: the method's count (its docstring gives the
    closed form), times ``T`` per task; everything else is frozen.
    ``method=None`` is the frozen stock backbone (decoder-only training).

    Args:
        backbone: Config (mmseg ``MODELS``) or module of the backbone.
        method: Config or instance of a :class:`PEFTMethod`; None freezes
            the backbone with nothing to train.
        tasks: Task names; ``MultiTaskEncoderDecoder`` passes its heads'
            keys, so configs leave this out.
        per_task: One method copy and one pass per task.
        init_cfg: Must be None: the wrapped backbone's own ``init_cfg``
            loads its weights.

    Raises:
        TypeError: If ``method`` is not a :class:`PEFTMethod`.
        ValueError: On a target pattern that matches no module (or only
            modules the method cannot adapt), ``frozen_stages`` other than
            -1, or an ``init_cfg`` on the wrapper.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 method: Union[dict, PEFTMethod, None] = None,
                 tasks: Optional[Sequence[str]] = None,
                 per_task: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        if init_cfg is not None:
            raise ValueError('PEFTBackbone: put init_cfg on the wrapped '
                             f'backbone, got init_cfg={init_cfg}')
        super().__init__()
        if isinstance(backbone, dict):
            if backbone.get('frozen_stages', -1) != -1:
                raise ValueError('PEFTBackbone freezes the backbone by '
                                 'itself; drop frozen_stages')
            backbone = MODELS.build(backbone)
        self.backbone = backbone
        self.tasks = check_tasks(
            DEFAULT_TASKS if tasks is None else tasks,
            owner=type(self).__name__)
        self.per_task = per_task
        self.method = (
            MODELS.build(method) if isinstance(method, dict) else method)
        if not isinstance(self.method, (PEFTMethod, type(None))):
            raise TypeError('PEFTBackbone: method must build a PEFTMethod '
                            f'(LoRA, BitFit, ...), got {method!r}')
        self.groups = self.tasks if per_task else (SHARED, )
        self._active = _ActiveGroup(None if per_task else SHARED)
        self.peft = nn.ModuleDict()
        self.task_tuned = nn.ModuleDict()
        #: (backbone parameter name, task_tuned key) of tuned parameters.
        self.tuned = []  # type: List[Tuple[str, str]]
        for param in self.backbone.parameters():
            param.requires_grad = False
        if self.method is not None:
            self._add_task_branch(self.method)
            self._inject(self.method)
        self.register_load_state_dict_pre_hook(_fill_task_tuned)
        print_log(
            f'PEFTBackbone: {self.method} '
            f'({"per task" if per_task else "shared"}, {len(self.tasks)} '
            f'task(s)) trains {self.num_trainable():,} parameters of '
            f'{sum(p.numel() for p in self.parameters()):,}',
            logger='current')

    # ------------------------------------------------------------------
    def _inject(self, method: PEFTMethod) -> None:
        """Build the deltas and tuned parameters of every matched module.

        Modules a task branch adapts itself (its ``targets``) get none.
        """
        owner = f'PEFTBackbone({type(method).__name__})'
        matches = match_modules(self.backbone, method.targets, owner)
        branch = self.peft[TASK_BRANCH] if TASK_BRANCH in self.peft else None
        done = set(getattr(branch, 'targets', ()))
        for pattern, found in matches.items():
            adapted = False
            for name, module in found:
                if name in done:
                    adapted = True
                    continue
                deltas = [(g, method.build_delta(name, module))
                          for g in self.groups]
                tuned = method.tuned_names(name, module)
                if deltas[0][1] is None and not tuned:
                    continue
                adapted = True
                done.add(name)
                if deltas[0][1] is not None:
                    self._add_delta(name, module, deltas)
                for local in tuned:
                    self._add_tuned(f'{name}.{local}', getattr(module, local))
            if not adapted:
                raise ValueError(f'{owner}: target pattern {pattern!r} '
                                 'matches only modules the method does not '
                                 f'adapt (e.g. {found[0][0]!r})')

    def _add_task_branch(self, method: PEFTMethod) -> None:
        """Add a method's own per-task branch (MTLoRA), if it has one.

        A method with ``build_task_branch(backbone, tasks) -> nn.Module``
        produces ``{task: feats}`` in one shared pass; the module lives
        under ``peft.task_branch`` and :meth:`forward` calls it as
        ``branch(backbone, x)``. The backbone modules named in the
        branch's ``targets`` attribute (if any) are adapted by the branch
        itself, so :meth:`_inject` skips them.
        """
        build = getattr(method, 'build_task_branch', None)
        if build is None:
            return
        if self.per_task:
            raise ValueError(f'PEFTBackbone: {type(method).__name__} is a '
                             'multi-task method (one shared pass with '
                             'per-task branches); use per_task=False')
        self.peft[TASK_BRANCH] = build(self.backbone, self.tasks)

    def _add_delta(self, name: str, module: nn.Module,
                   deltas: List[Tuple[str, nn.Module]]) -> None:
        key = _key(name)
        for group, delta in deltas:
            if group not in self.peft:
                self.peft[group] = nn.ModuleDict()
            self.peft[group][key] = delta
        module.register_forward_hook(_DeltaHook(self.peft, key, self._active))

    def _add_tuned(self, name: str, param: nn.Parameter) -> None:
        if not self.per_task:
            param.requires_grad = True
            return
        key = _key(name)
        self.tuned.append((name, key))
        for task in self.tasks:
            if task not in self.task_tuned:
                self.task_tuned[task] = nn.ParameterDict()
            self.task_tuned[task][key] = nn.Parameter(param.detach().clone())

    # ------------------------------------------------------------------
    def num_trainable(self) -> int:
        """Number of trainable parameters of the adapted backbone."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def param_report(self) -> Dict[str, object]:
        """Method, mode and parameter counts (trainable, frozen, total)."""
        total = sum(p.numel() for p in self.parameters())
        trainable = self.num_trainable()
        return dict(
            method=repr(self.method),
            per_task=self.per_task,
            tasks=list(self.tasks),
            trainable=trainable,
            frozen=total - trainable,
            total=total)

    def init_weights(self) -> None:
        """Initialise the backbone (its ``init_cfg``), then the copies.

        The deltas keep their construction-time init (outside the wrapped
        backbone, so its re-initialisation does not touch them); per-task
        tuned parameters become copies of the initialised backbone's.
        """
        if hasattr(self.backbone, 'init_weights'):
            self.backbone.init_weights()
        params = dict(self.backbone.named_parameters())
        for name, key in self.tuned:
            for task in self.tasks:
                self.task_tuned[task][key].data.copy_(params[name].data)
        self._is_init = True

    def forward(self, x: Tensor) -> Feats:
        """One shared adapted pass, or one adapted pass per task.

        Args:
            x: Images ``(B, C, H, W)``.

        Returns:
            The backbone's output (shared), or task -> that output
            (per task, or a method's task branch, e.g. MTLoRA).
        """
        if not self.per_task:
            if TASK_BRANCH in self.peft:
                return self.peft[TASK_BRANCH](self.backbone, x)
            return self.backbone(x)
        outs = {}
        try:
            for task in self.tasks:
                self._active.group = task
                params = {
                    name: self.task_tuned[task][key]
                    for name, key in self.tuned
                }
                outs[task] = (
                    functional_call(self.backbone, params,
                                    (x, )) if params else self.backbone(x))
        finally:
            self._active.group = None
        return outs


def _fill_task_tuned(module: PEFTBackbone, state_dict: dict, prefix: str,
                     *args) -> None:
    """Load-state-dict pre-hook: per-task copies default to the backbone's.

    Loading a state dict without ``task_tuned`` entries (e.g. a stock
    backbone checkpoint under ``backbone.``) makes each task's copy the
    loaded pretrained parameter.
    """
    for name, key in module.tuned:
        src = f'{prefix}backbone.{name}'
        if src not in state_dict:
            continue
        for task in module.tasks:
            state_dict.setdefault(f'{prefix}task_tuned.{task}.{key}',
                                  state_dict[src])
