"""Registries of the file codecs: ground-truth decoders, prediction writers.

Both are mmengine :class:`~mmengine.registry.Registry` objects holding plain
functions. A dataset names the decoder of each task (see
:class:`mmvmt.datasets.TaskAnnotation`); the output hook picks the writer of
a task by its kind (:attr:`mmvmt.tasks.TaskSpec.kind`).
"""
from typing import Callable

import numpy as np
from mmengine.registry import Registry

__all__ = [
    'DECODERS', 'PREDICTION_WRITERS', 'GtDecoder', 'PredictionWriter',
    'get_decoder', 'get_prediction_writer'
]

#: A decoder maps ``(file bytes, image decoding backend)`` to a ground-truth
#: array following the :mod:`mmvmt.tasks` pipeline conventions.
GtDecoder = Callable[[bytes, str], np.ndarray]

#: A writer saves a ``(C, H, W)`` prediction array under a path stem (no
#: extension) and returns the written path.
PredictionWriter = Callable[[np.ndarray, str], str]

#: Ground-truth decoders, keyed by the names datasets use.
DECODERS = Registry(
    'ground-truth decoder', scope='mmvmt', locations=['mmvmt.fileio'])

#: Prediction writers, keyed by task kind (``'class'``, ``'binary'``,
#: ``'normals'``, ``'depth'``).
PREDICTION_WRITERS = Registry(
    'prediction writer', scope='mmvmt', locations=['mmvmt.fileio'])


def _get(registry: Registry, name: str) -> Callable:
    # Exact names only: Registry.get would also import an unknown name as a
    # module path. Importing this package has registered every codec.
    fn = registry.module_dict.get(name)
    if fn is None:
        raise KeyError(f'unknown {registry.name} {name!r}; known: '
                       f'{sorted(registry.module_dict)}')
    return fn


def get_decoder(name: str) -> GtDecoder:
    """Look up a ground-truth decoder.

    Args:
        name: Decoder name, e.g. ``'class_png'``.

    Returns:
        Callable: The decoder.

    Raises:
        KeyError: For an unknown name; the message lists known decoders.
    """
    return _get(DECODERS, name)


def get_prediction_writer(kind: str) -> PredictionWriter:
    """Look up the prediction writer of a task kind.

    Args:
        kind: Task kind, one of :data:`mmvmt.tasks.CLASS`, ``BINARY``,
            ``NORMALS``, ``DEPTH``.

    Returns:
        Callable: The writer.

    Raises:
        KeyError: For an unknown kind; the message lists known kinds.
    """
    return _get(PREDICTION_WRITERS, kind)
