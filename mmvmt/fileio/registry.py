"""Registries of the file codecs: ground-truth decoders, prediction writers.

Both are mmengine :class:`~mmengine.registry.Registry` objects holding plain
functions. A dataset names the decoder of each task (see
:class:`mmvmt.datasets.TaskAnnotation`), either by name or as a dict with
the name under ``type`` and the decoder's options (e.g.
``dict(type='depth_npy', scale=0.001)``); the output hook picks the writer
of a task by its kind (:attr:`mmvmt.tasks.TaskSpec.kind`).
"""
import functools
import inspect
from typing import Callable, Mapping, Union

import numpy as np
from mmengine.registry import Registry

__all__ = [
    'DECODERS', 'PREDICTION_WRITERS', 'GtDecoder', 'PredictionWriter',
    'DecoderSpec', 'RefusedValues', 'get_decoder', 'decoder_repr',
    'get_prediction_writer'
]

#: A decoder maps ``(file bytes, image decoding backend)`` to a ground-truth
#: array following the :mod:`mmvmt.tasks` pipeline conventions.
GtDecoder = Callable[[bytes, str], np.ndarray]

#: A decoder's name, or a dict with the name under ``type`` and the
#: decoder's keyword options.
DecoderSpec = Union[str, Mapping]

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


class RefusedValues(ValueError):
    """A decoder refuses values that its format would silently misread.

    Args:
        message: What was seen and why it is refused.
        accepted_by: The decoder spec that reads such files as meant (the
            loader names it with the task, as a dataset option).
    """

    def __init__(self, message: str, accepted_by: DecoderSpec) -> None:
        super().__init__(message)
        self.accepted_by = accepted_by


def get_decoder(spec: DecoderSpec) -> GtDecoder:
    """Look up a ground-truth decoder, with its options bound.

    Args:
        spec: Decoder name, e.g. ``'class_png'``, or a dict
            ``dict(type=name, **options)``.

    Returns:
        Callable: ``(content, backend) -> array``.

    Raises:
        KeyError: For an unknown name; the message lists known decoders.
        TypeError: For a spec that is neither, or options the decoder does
            not take (the message lists the ones it takes).
    """
    if isinstance(spec, str):
        return _get(DECODERS, spec)
    if not isinstance(spec, Mapping) or not isinstance(spec.get('type'), str):
        raise TypeError('a ground-truth decoder is a name or a dict with the '
                        f"name under 'type', got {spec!r}")
    options = {k: v for k, v in spec.items() if k != 'type'}
    fn = _get(DECODERS, spec['type'])
    try:
        inspect.signature(fn).bind(b'', 'pillow', **options)
    except TypeError:
        params = list(inspect.signature(fn).parameters)[2:]
        raise TypeError(
            f'ground-truth decoder {spec["type"]!r} takes the options '
            f'{params}, got {sorted(options)}') from None
    return functools.partial(fn, **options) if options else fn


def decoder_repr(spec: DecoderSpec) -> str:
    """A decoder spec as a config value, for messages."""
    if isinstance(spec, str):
        return repr(spec)
    items = ', '.join(f'{k}={v!r}' for k, v in spec.items())
    return f'dict({items})'


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
