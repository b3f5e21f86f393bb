"""Load mmengine runner checkpoints under torch >= 2.6 without unsafe pickle.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and refuses
any non-tensor object it does not know. mmengine 0.10.7 runner checkpoints
hold a few such objects: the message hub's :class:`HistoryBuffer` (numpy
arrays inside) and numpy scalars in the meta. Instead of switching the safety
off (``weights_only=False``), we allow-list exactly those types with
:func:`torch.serialization.add_safe_globals`; a checkpoint carrying any other
pickled object is still refused by torch.
"""
import importlib
import pickle
from types import ModuleType
from typing import Any, List

import numpy as np
import torch

__all__ = ['SAFE_CHECKPOINT_GLOBALS', 'allow_runner_checkpoints']

#: Where numpy keeps ``multiarray``, in the order tried: numpy >= 2 first,
#: then numpy 1 (which has no ``numpy._core``). Both are also the two pickle
#: names of its reconstruction functions.
MULTIARRAY_MODULES = ('numpy._core.multiarray', 'numpy.core.multiarray')


def _import_multiarray() -> ModuleType:
    """Import numpy's ``multiarray`` from whichever location numpy has.

    Raises:
        ImportError: If neither of :data:`MULTIARRAY_MODULES` imports.
    """
    for name in MULTIARRAY_MODULES:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(f'none of {MULTIARRAY_MODULES} can be imported')


def _numpy_globals() -> List[Any]:
    """Numpy objects needed to unpickle arrays, dtypes and scalars.

    Numpy 2 pickles them from ``numpy._core``, numpy 1 from ``numpy.core``;
    both names are registered, whichever numpy is installed, so checkpoints
    written under either load.
    """
    multiarray = _import_multiarray()
    entries: List[Any] = []
    for module in MULTIARRAY_MODULES:
        entries.append((multiarray._reconstruct, f'{module}._reconstruct'))
        entries.append((multiarray.scalar, f'{module}.scalar'))
    entries += [np.ndarray, np.dtype]
    # Concrete dtype classes (``numpy.dtypes.Float64DType`` ...), which numpy
    # 2 pickles for every dtype instance.
    entries += list({
        type(np.dtype(scalar_type))
        for scalar_type in set(np.sctypeDict.values())
    })
    return entries


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """A ``getattr`` restricted to :class:`HistoryBuffer` statistics methods.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'min')``. Allowing the real ``builtins.getattr``
    would let a checkpoint reach any attribute of any allowed object, so the
    pickle name ``builtins.getattr`` is bound to this function instead.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    from mmengine.logging import HistoryBuffer
    if (isinstance(obj, type) and issubclass(obj, HistoryBuffer)
            and isinstance(name, str) and not name.startswith('_')
            and callable(getattr(obj, name, None))):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer '
        'statistics methods are allowed')


def _mmengine_globals() -> List[Any]:
    """mmengine objects stored in runner checkpoints (message hub state)."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')]


SAFE_CHECKPOINT_GLOBALS: List[Any] = _numpy_globals() + _mmengine_globals()


def allow_runner_checkpoints() -> None:
    """Allow-list the types of mmengine runner checkpoints for ``torch.load``.

    Idempotent. Does nothing on torch versions without
    ``torch.serialization.add_safe_globals`` (< 2.4), which load
    unrestricted anyway.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(SAFE_CHECKPOINT_GLOBALS)


allow_runner_checkpoints()
