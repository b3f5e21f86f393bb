"""Does a checkpoint fit a model? Key lists, shapes, frozen-weight checksum.

Pure functions on state dicts, used by
:class:`~mmvmt.engine.hooks.TrainableCheckpointHook` to refuse a checkpoint
that does not fit (mmengine's ``Runner.load_checkpoint`` loads with
``strict=False`` and only warns).
"""
import hashlib
from typing import Iterable, List, Mapping, NamedTuple, Tuple

import torch

__all__ = [
    'CheckpointMismatchError', 'Misfit', 'find_misfits', 'misfit_message',
    'state_fingerprint'
]


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the model."""


class Misfit(NamedTuple):
    """What keeps a checkpoint from fitting a model.

    Attributes:
        missing: Keys the model needs and the checkpoint lacks.
        unexpected: Keys of the checkpoint the model does not have.
        mismatched: ``(key, checkpoint shape, model shape)`` of entries
            whose shapes differ.
    """
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, tuple, tuple]]

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.mismatched)


def find_misfits(model_state: Mapping[str, torch.Tensor],
                 ckpt_state: Mapping[str, object],
                 required: Iterable[str] = None) -> Misfit:
    """Compare a checkpoint's state dict with the model's.

    Args:
        model_state: ``model.state_dict()``.
        ckpt_state: The checkpoint's state dict (keys as the model sees
            them).
        required: Model keys the checkpoint must hold; default all of
            ``model_state`` (a trainable-only checkpoint requires only the
            trainable keys).

    Returns:
        Misfit: Sorted key lists; false when the checkpoint fits.
    """
    required = set(model_state) if required is None else set(required)
    missing = sorted(k for k in required if k not in ckpt_state)
    unexpected = sorted(k for k in ckpt_state if k not in model_state)
    mismatched = []
    for key in sorted(set(ckpt_state) & set(model_state)):
        value = ckpt_state[key]
        shape = tuple(getattr(value, 'shape', ()))
        want = tuple(model_state[key].shape)
        if not hasattr(value, 'shape') or shape != want:
            mismatched.append((key, shape, want))
    return Misfit(missing, unexpected, mismatched)


def _listed(keys: List[str]) -> str:
    return ', '.join(str(k) for k in keys)


def misfit_message(path: str, misfit: Misfit) -> str:
    """A message naming the file and every offending key, of each kind
    (all of them: none is left out, however many).

    Args:
        path: The checkpoint file.
        misfit: What :func:`find_misfits` found.

    Returns:
        str: One line per kind of problem.
    """
    lines = [f'checkpoint {path} does not fit the model:']
    if misfit.mismatched:
        shapes = [
            f'{k} (checkpoint {list(a)}, model {list(b)})'
            for k, a, b in misfit.mismatched
        ]
        lines.append(f'  {len(shapes)} shape mismatch(es): ' + _listed(shapes))
    if misfit.missing:
        lines.append(f'  {len(misfit.missing)} missing key(s): ' +
                     _listed(misfit.missing))
    if misfit.unexpected:
        lines.append(f'  {len(misfit.unexpected)} unexpected key(s): ' +
                     _listed(misfit.unexpected))
    return '\n'.join(lines)


def state_fingerprint(state: Mapping[str, torch.Tensor],
                      keys: Iterable[str]) -> str:
    """SHA-256 of the named entries: names, dtypes, shapes and bytes.

    Equal exactly when the entries are bit-identical, so it tells whether
    the frozen weights a model was initialised with are the ones a
    trainable-only checkpoint was trained on.

    Args:
        state: A state dict.
        keys: The entries to hash (in any order; they are sorted).

    Returns:
        str: Hex digest.
    """
    digest = hashlib.sha256()
    for key in sorted(keys):
        tensor = state[key].detach().cpu().contiguous().reshape(-1)
        digest.update(
            f'{key}|{tensor.dtype}|{list(state[key].shape)}|'.encode())
        digest.update(tensor.view(torch.uint8).numpy())
    return digest.hexdigest()
