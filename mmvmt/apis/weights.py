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
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.runner import CheckpointLoader, load_state_dict

from ..engine.hooks.trainable_checkpoint_hook import (TRAINABLE_ONLY_META_KEY,
                                                      check_checkpoint_fits)
from ..models.mmseg_compat import runner_checkpoint_state

__all__ = [
    'read_checkpoint', 'checkpoint_state_dict', 'load_inference_weights'
]


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
    """The model weights of a checkpoint, keyed as the runner loads them.

    The keys go through the runner's own revision
    (:func:`~mmvmt.models.mmseg_compat.runner_checkpoint_state`: no
    ``module.`` prefix), so inference and ``tools/test.py`` see the same
    state dict.

    Args:
        checkpoint: The loaded checkpoint.
        path: Its file (for messages).

    Returns:
        dict: Key -> tensor.

    Raises:
        ValueError: If the checkpoint holds no state dict.
    """
    state = runner_checkpoint_state(checkpoint)
    if not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'checkpoint {path} holds no state dict of tensors '
                         "(neither under 'state_dict' nor at the top level)")
    return dict(state)


def load_inference_weights(model: nn.Module,
                           path: str,
                           checkpoint: Optional[dict] = None) -> dict:
    """Load ``path`` into ``model`` with strict checking.

    The fit check is the runner's
    (:func:`~mmvmt.engine.hooks.trainable_checkpoint_hook.check_checkpoint_fits`):
    full checkpoints must fit exactly and are then loaded with mmengine's
    ``load_state_dict`` in strict mode; trainable-only ones first initialise
    the model (``model.init_weights()``: the pretrained frozen part from
    ``init_cfg``), may lack exactly the frozen keys, and must have been
    trained on the same frozen weights (checksum in their meta).

    Args:
        model: The built model (not yet initialised).
        path: Checkpoint file.
        checkpoint: The checkpoint if already read (it is not read again).

    Returns:
        dict: The checkpoint (its ``meta`` gives the dataset meta).

    Raises:
        FileNotFoundError, ValueError: See :func:`read_checkpoint`.
        CheckpointMismatchError: If the checkpoint does not fit (the
            message lists every offending key), or a trainable-only
            checkpoint meets other frozen weights (e.g. no pretrained
            ``init_cfg``).
    """
    if checkpoint is None:
        checkpoint = read_checkpoint(path)
    state = checkpoint_state_dict(checkpoint, path)
    check_checkpoint_fits(model, dict(checkpoint, state_dict=state), path)
    if (checkpoint.get('meta') or {}).get(TRAINABLE_ONLY_META_KEY, False):
        # check_checkpoint_fits initialised the frozen part and verified it.
        model.load_state_dict(state, strict=False)
    else:
        load_state_dict(model, state, strict=True)
    return checkpoint
