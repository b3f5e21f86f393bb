"""Every mmseg / mmengine internal that mmvmt relies on, in one place.

None of these behaviours is public API of mmseg 1.2.2 / mmengine 0.10.7.
Each one is wrapped here and pinned by ``tests/test_models/test_compat.py``
against the installed stack, so an upgrade that changes one of them fails
there first (``docs/design.md`` sections 5 and 6).
"""
import inspect
import re
from collections import OrderedDict
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

__all__ = [
    'config_class', 'takes_argument', 'uses_class_map_loss',
    'input_size_metas', 'swin_block_forward', 'runner_load_from',
    'RUNNER_REVISE_KEYS', 'runner_checkpoint_state', 'runner_checkpoint_path'
]

#: ``mlp(u, x1)`` of :func:`swin_block_forward`: the block's MLP step.
MlpStep = Callable[[Tensor, Tensor], Any]

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
          inspect.Parameter.KEYWORD_ONLY)


def config_class(cfg: dict) -> Optional[type]:
    """The class a ``MODELS`` config builds.

    Args:
        cfg: A config whose ``type`` is a class or a name registered in
            mmseg's ``MODELS`` (as the current default scope resolves it).

    Returns:
        type | None: The class, or None if the name is not registered.
    """
    kind = cfg.get('type')
    if inspect.isclass(kind):
        return kind
    if not isinstance(kind, str):
        return None
    return MODELS.get(kind)


def takes_argument(cls: type, name: str) -> bool:
    """Whether ``cls(...)`` has a named parameter ``name``.

    ``MODELS.build`` calls the class with the config's keys as keyword
    arguments, so a config may carry ``name`` exactly when this holds.
    ``**kwargs`` does not count: it may be forwarded to a parent that does
    not take ``name``.

    Args:
        cls: The class.
        name: The argument name (e.g. ``'task'``, ``'tasks'``).

    Returns:
        bool: True if ``name`` is an explicit keyword parameter.
    """
    param = inspect.signature(cls).parameters.get(name)
    return param is not None and param.kind in _NAMED


def uses_class_map_loss(head_cls: type) -> bool:
    """Whether a decode head keeps mmseg's class-map loss path.

    ``BaseDecodeHead.loss_by_feat`` computes cross-entropy-style losses on
    integer class maps and ``acc_seg``; a head that does not override it
    cannot serve binary, normals or depth tasks.

    Args:
        head_cls: A decode head class.

    Returns:
        bool: True if ``loss_by_feat`` is mmseg's own.
    """
    return getattr(head_cls, 'loss_by_feat',
                   None) is BaseDecodeHead.loss_by_feat


def input_size_metas(batch_img_metas: Sequence[dict],
                     size: Sequence[int]) -> List[dict]:
    """Metainfo copies that make ``head.predict`` output ``size`` logits.

    ``BaseDecodeHead.predict_by_feat`` resizes to ``img_shape`` when it is a
    ``torch.Size`` (mmseg's slide-inference convention), else to
    ``pad_shape``; setting both to ``size`` makes every head predict at the
    size of the current input (a padded batch or a crop).

    Args:
        batch_img_metas: Metainfo of the samples (left unchanged).
        size: ``(H, W)`` of the input.

    Returns:
        list[dict]: One modified copy per sample.
    """
    size = tuple(int(s) for s in size)
    return [
        dict(meta, img_shape=torch.Size(size), pad_shape=size)
        for meta in batch_img_metas
    ]


def swin_block_forward(block: nn.Module,
                       x: Tensor,
                       hw_shape: Tuple[int, int],
                       mlp: Optional[MlpStep] = None) -> Any:
    """mmseg's ``SwinBlock.forward`` with a replaceable MLP step.

    ``x1 = x + attn(norm1(x))`` and ``u = norm2(x1)``; the block returns
    ``block.ffn(u, identity=x1)`` (mmseg's own forward) or, if given,
    ``mlp(u, x1)``. With ``block.with_cp`` and an input that requires
    gradients the step is recomputed in backward, as in mmseg.

    Args:
        block: An mmseg ``SwinBlock``.
        x: ``(B, N, C)`` tokens.
        hw_shape: Spatial shape of ``x``.
        mlp: Replacement of the MLP step; may return anything (e.g. a
            tuple of the output and side results).

    Returns:
        The output of the MLP step.
    """

    def inner(x: Tensor) -> Any:
        x1 = block.attn(block.norm1(x), hw_shape) + x
        u = block.norm2(x1)
        if mlp is None:
            return block.ffn(u, identity=x1)
        return mlp(u, x1)

    if block.with_cp and x.requires_grad:
        return cp.checkpoint(inner, x, use_reentrant=False)
    return inner(x)


def runner_load_from(runner: Any) -> Optional[str]:
    """The checkpoint an mmengine ``Runner`` loads (its ``load_from``).

    mmengine keeps it only as the private ``Runner._load_from``.

    Args:
        runner: An mmengine runner.

    Returns:
        str | None: The path or URL, None if nothing is loaded.
    """
    return getattr(runner, '_load_from', None)


#: The key rewrites of ``Runner.load_checkpoint`` (its ``revise_keys``
#: default): a ``module.`` prefix left by a model wrapper is dropped.
RUNNER_REVISE_KEYS = ((r'^module.', ''), )


def runner_checkpoint_state(checkpoint: Any) -> 'OrderedDict[str, Any]':
    """The state dict ``Runner.load_checkpoint`` loads from ``checkpoint``.

    mmengine's ``_load_checkpoint_to_model`` takes ``checkpoint['state_dict']``
    (or the checkpoint itself when there is none) and applies
    :data:`RUNNER_REVISE_KEYS`.

    Args:
        checkpoint: The loaded checkpoint object.

    Returns:
        OrderedDict: Key -> value, with the keys the model will see.
    """
    state = checkpoint
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state = checkpoint['state_dict']
    if not isinstance(state, dict):
        return OrderedDict()
    for pattern, repl in RUNNER_REVISE_KEYS:
        state = OrderedDict(
            (re.sub(pattern, repl, k), v) for k, v in state.items())
    return state


def runner_checkpoint_path(runner: Any) -> Optional[str]:
    """The checkpoint an mmengine ``Runner`` loads or resumes from.

    ``load_from`` when given; with ``resume=True`` and no ``load_from`` the
    path in ``<work_dir>/last_checkpoint`` (mmengine's auto-resume). Both
    live in private runner attributes (``_load_from``, ``_resume``).

    Args:
        runner: An mmengine runner.

    Returns:
        str | None: The path, None if nothing is loaded.
    """
    path = runner_load_from(runner)
    if path or not getattr(runner, '_resume', False):
        return path
    from mmengine.runner import find_latest_checkpoint
    return find_latest_checkpoint(runner.work_dir)
