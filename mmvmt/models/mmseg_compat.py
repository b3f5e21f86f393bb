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
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

__all__ = [
    'config_class', 'takes_argument', 'uses_class_map_loss',
    'input_size_metas', 'swin_block_forward', 'swin_window_attention',
    'runner_load_from', 'RUNNER_REVISE_KEYS', 'runner_checkpoint_state',
    'runner_checkpoint_path'
]

#: ``mlp(u, x1)`` of :func:`swin_block_forward`: the block's MLP step.
MlpStep = Callable[[Tensor, Tensor], Any]
#: ``proj(a)`` of :func:`swin_window_attention`: ``(nW*B, N, C)`` attention
#: outputs -> ``(n, nW*B, N, C)``, ``n`` stacked projections of them.
ProjStep = Callable[[Tensor], Tensor]

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


def _shift_mask(msa: nn.Module, pad_h: int, pad_w: int,
                device: torch.device) -> Tensor:
    """``ShiftWindowMSA``'s ``(nW, ws*ws, ws*ws)`` mask (0 / -100)."""
    ws, shift = msa.window_size, msa.shift_size
    img_mask = torch.zeros((1, pad_h, pad_w, 1), device=device)
    slices = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    cnt = 0
    for h in slices:
        for w in slices:
            img_mask[:, h, w, :] = cnt
            cnt += 1
    mask_windows = msa.window_partition(img_mask).view(-1, ws * ws)
    mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
    return mask.masked_fill(mask != 0,
                            float(-100.0)).masked_fill(mask == 0, float(0.0))


def _window_msa(w_msa: nn.Module, x: Tensor, mask: Optional[Tensor]) -> Tensor:
    """``WindowMSA.forward`` up to, not including, ``proj``."""
    B, N, C = x.shape
    heads = w_msa.num_heads
    qkv = w_msa.qkv(x).reshape(B, N, 3, heads,
                               C // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q * w_msa.scale) @ k.transpose(-2, -1)
    wh, ww = w_msa.window_size
    bias = w_msa.relative_position_bias_table[
        w_msa.relative_position_index.view(-1)].view(wh * ww, wh * ww, -1)
    attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
    if mask is not None:
        nw = mask.shape[0]
        attn = attn.view(B // nw, nw, heads, N,
                         N) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, heads, N, N)
    attn = w_msa.attn_drop(w_msa.softmax(attn))
    return (attn @ v).transpose(1, 2).reshape(B, N, C)


def swin_window_attention(msa: nn.Module,
                          query: Tensor,
                          hw_shape: Tuple[int, int],
                          proj: Optional[ProjStep] = None) -> Tensor:
    """mmseg's ``ShiftWindowMSA.forward`` with a replaceable ``proj``.

    Pad, shift, partition, ``WindowMSA`` up to its output projection
    (``qkv`` is called as a module, so its hooks run), then ``proj(a)``
    (default: ``w_msa.proj(a)`` alone), and for each of its ``n`` stacked
    outputs ``proj_drop``, window merging, reverse shift, crop and the
    module's drop path (per sample, so per output). The attention runs once
    whatever ``n``.

    Args:
        msa: An mmseg ``ShiftWindowMSA``.
        query: ``(B, H*W, C)`` tokens (the block's ``norm1`` output).
        hw_shape: ``(H, W)``.
        proj: Replacement of the projection (see :data:`ProjStep`).

    Returns:
        Tensor: ``(n * B, H*W, C)``, output ``k`` of sample ``b`` at
        ``k * B + b`` (``n = 1``: mmseg's output).
    """
    B, L, C = query.shape
    H, W = hw_shape
    assert L == H * W, 'input feature has wrong size'
    ws = msa.window_size
    query = query.view(B, H, W, C)
    pad_r = (ws - W % ws) % ws
    pad_b = (ws - H % ws) % ws
    query = F.pad(query, (0, 0, 0, pad_r, 0, pad_b))
    pad_h, pad_w = query.shape[1], query.shape[2]
    mask = None
    if msa.shift_size > 0:
        query = torch.roll(
            query, shifts=(-msa.shift_size, -msa.shift_size), dims=(1, 2))
        mask = _shift_mask(msa, pad_h, pad_w, query.device)
    windows = msa.window_partition(query).view(-1, ws**2, C)
    attended = _window_msa(msa.w_msa, windows, mask)
    out = msa.w_msa.proj(attended)[None] if proj is None else proj(attended)
    out = msa.w_msa.proj_drop(out.flatten(0, 1)).view(-1, ws, ws, C)
    x = msa.window_reverse(out, pad_h, pad_w)
    if msa.shift_size > 0:
        x = torch.roll(x, shifts=(msa.shift_size, msa.shift_size), dims=(1, 2))
    if pad_r > 0 or pad_b:
        x = x[:, :H, :W, :].contiguous()
    return msa.drop(x.view(-1, H * W, C))


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
