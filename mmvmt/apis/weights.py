"""Load a checkpoint into a model for inference, refusing what does not fit.

A checkpoint is read once. Its state dict must fit the model exactly: a
missing, unexpected or differently shaped key is an error that lists the
keys. The one exception is a trainable-only checkpoint (``tools/train.py
--adapter-only``, marked in its ``meta``): it may lack exactly the frozen
weights, which then come from the pretrained checkpoint of the model's
``init_cfg``; without a pretrained ``init_cfg`` it is refused, since the
frozen backbone would stay random.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.runner import CheckpointLoader, load_state_dict

from ..engine.hooks.trainable_checkpoint_hook import (TRAINABLE_ONLY_META_KEY,
                                                      trainable_state_keys)

__all__ = [
    'read_checkpoint', 'checkpoint_state_dict', 'check_state_dict',
    'load_inference_weights'
]

#: Keys listed per category in a refusal message.
_MAX_LISTED = 10


def read_checkpoint(path: str) -> dict:
    """Read a checkpoint file onto the CPU.

    Args:
        path: Checkpoint file (local path or any mmengine backend URI).

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If a local ``path`` does not exist.
        ValueError: If the file cannot be read as a checkpoint (empty,
            truncated, not a checkpoint, or refused by torch's
            ``weights_only`` loading); the message names the file.
    """
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file {path} does not exist')
    try:
        checkpoint = CheckpointLoader.load_checkpoint(
            path, map_location='cpu', logger='silent')
    except Exception as e:
        raise ValueError(f'cannot read checkpoint {path}: '
                         f'{type(e).__name__}: {e}') from e
    if not isinstance(checkpoint, dict):
        raise ValueError(f'checkpoint {path} holds a '
                         f'{type(checkpoint).__name__}, not a dict')
    return checkpoint


def checkpoint_state_dict(checkpoint: dict, path: str) -> Dict[str, object]:
    """The model weights of a checkpoint, without a ``module.`` prefix.

    Args:
        checkpoint: The loaded checkpoint.
        path: Its file (for messages).

    Returns:
        dict: Key -> tensor.

    Raises:
        ValueError: If the checkpoint holds no state dict.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'checkpoint {path} holds no state dict of tensors '
                         "(neither under 'state_dict' nor at the top level)")
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state.items()
    }


def _listed(keys: Sequence[str]) -> str:
    shown = ', '.join(keys[:_MAX_LISTED])
    more = len(keys) - _MAX_LISTED
    return f'[{shown}' + (f', ... {more} more]' if more > 0 else ']')


def check_state_dict(model: nn.Module,
                     state: Dict[str, torch.Tensor],
                     path: str,
                     allowed_missing: Sequence[str] = ()) -> None:
    """Refuse a state dict that does not fit ``model``.

    Args:
        model: The model.
        state: The checkpoint's state dict.
        path: Checkpoint file (for messages).
        allowed_missing: Model keys the checkpoint may lack.

    Raises:
        ValueError: On missing (not allowed), unexpected or differently
            shaped keys; the message lists them.
    """
    expected = model.state_dict()
    allowed = set(allowed_missing)
    missing = sorted(k for k in expected
                     if k not in state and k not in allowed)
    unexpected = sorted(k for k in state if k not in expected)
    mismatched = sorted(f'{k} (checkpoint {tuple(v.shape)}, model '
                        f'{tuple(expected[k].shape)})'
                        for k, v in state.items()
                        if k in expected and v.shape != expected[k].shape)
    problems: List[str] = []
    for name, keys in (('missing keys', missing),
                       ('unexpected keys', unexpected), ('shape mismatches',
                                                         mismatched)):
        if keys:
            problems.append(f'{len(keys)} {name} {_listed(keys)}')
    if problems:
        raise ValueError(f'checkpoint {path} does not fit the model of the '
                         'config: ' + '; '.join(problems) +
                         '. Use the config the checkpoint was trained with.')


def _has_pretrained_init(model: nn.Module) -> bool:
    """Whether some module's ``init_cfg`` loads a pretrained checkpoint."""
    for module in model.modules():
        init_cfg = getattr(module, 'init_cfg', None)
        cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
        if any(
                isinstance(c, dict) and c.get('type') == 'Pretrained'
                and c.get('checkpoint') for c in cfgs):
            return True
    return False


def load_inference_weights(model: nn.Module,
                           path: str,
                           checkpoint: Optional[dict] = None) -> dict:
    """Load ``path`` into ``model`` with strict checking.

    Full checkpoints are loaded with mmengine's ``load_state_dict`` in
    strict mode after :func:`check_state_dict`. Trainable-only ones first
    initialise the model (``model.init_weights()``: the pretrained frozen
    part from ``init_cfg``) and may lack exactly the frozen keys.

    Args:
        model: The built model (not yet initialised).
        path: Checkpoint file.
        checkpoint: The checkpoint if already read (it is not read again).

    Returns:
        dict: The checkpoint (its ``meta`` gives the dataset meta).

    Raises:
        FileNotFoundError, ValueError: See :func:`read_checkpoint` and
            :func:`check_state_dict`; ValueError also for a trainable-only
            checkpoint when no module has a pretrained ``init_cfg``.
    """
    if checkpoint is None:
        checkpoint = read_checkpoint(path)
    state = checkpoint_state_dict(checkpoint, path)
    meta = checkpoint.get('meta') or {}
    if not meta.get(TRAINABLE_ONLY_META_KEY, False):
        check_state_dict(model, state, path)
        load_state_dict(model, state, strict=True)
        return checkpoint
    if not _has_pretrained_init(model):
        raise ValueError(
            f'checkpoint {path} holds only the trainable weights (saved with '
            '--adapter-only) and the config gives no pretrained init_cfg, so '
            'the frozen backbone would stay random. Set '
            "model.backbone.init_cfg=dict(type='Pretrained', checkpoint=...) "
            'to the backbone it was trained on, or use a full checkpoint.')
    frozen = set(model.state_dict()) - trainable_state_keys(model)
    check_state_dict(model, state, path, allowed_missing=sorted(frozen))
    model.init_weights()
    model.load_state_dict(state, strict=False)
    return checkpoint
