"""Ground-truth decoders: file bytes -> pipeline map (:mod:`mmvmt.tasks`).

Each decoder is registered in :data:`~mmvmt.fileio.registry.DECODERS` under
the name a dataset puts into ``TaskAnnotation.decoder``. Outputs follow the
pipeline conventions: class/binary maps ``uint8`` HxW with 255 ignore,
normals ``float32`` HxWx3 with the zero vector where invalid, depth
``float32`` HxW metres with 0 invalid.

A decoder refuses (:class:`~mmvmt.fileio.registry.RefusedValues`, naming
the decoder that reads the file as meant) values that its format would
turn into a wrong map without a trace: a 0/1 map given to the soft-map
threshold (everything would become background), a 0/255 map given to the
{0, 1, 255 = ignore} reader (everything would become background or
ignored), integer depth without a scale (millimetres read as metres).
"""
from typing import Optional

import numpy as np

from .image_io import decode_image, decode_npy, single_channel
from .normals import decode_normals
from .registry import DECODERS, RefusedValues

__all__ = [
    'decode_class_png', 'decode_class_png_reduce_zero',
    'decode_binary_png_threshold', 'decode_binary_png', 'decode_normals_png',
    'decode_normals_npy', 'decode_depth_npy', 'decode_binary_npy'
]


def _as_uint8_labels(arr: np.ndarray) -> np.ndarray:
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f'expected integer labels, got dtype {arr.dtype}')
    if arr.dtype != np.uint8:
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError('labels must lie in [0, 255], found range '
                             f'[{arr.min()}, {arr.max()}]')
        arr = arr.astype(np.uint8)
    return arr


@DECODERS.register_module(name='class_png')
def decode_class_png(content: bytes, backend: str) -> np.ndarray:
    """Single-channel class-id png (palette pngs give their indices).

    Use the ``'pillow'`` backend for palette pngs (PASCAL VOC): OpenCV would
    return the palette colours instead of the indices.
    """
    return _as_uint8_labels(single_channel(decode_image(content, backend)))


@DECODERS.register_module(name='class_png_reduce_zero')
def decode_class_png_reduce_zero(content: bytes, backend: str) -> np.ndarray:
    """Class png with 0 = unlabelled (NYUD): 0 -> 255, k -> k - 1."""
    labels = decode_class_png(content, backend)
    out = labels - np.uint8(1)
    out[(labels == 0) | (labels == 255)] = 255
    return out


def _values(arr: np.ndarray) -> np.ndarray:
    """Distinct values of a uint8 map (a histogram: faster than unique)."""
    return np.flatnonzero(np.bincount(arr.ravel(), minlength=256))


@DECODERS.register_module(name='binary_png_threshold')
def decode_binary_png_threshold(content: bytes, backend: str) -> np.ndarray:
    """Soft grey-scale map (PASCAL distilled saliency): ``v / 255 > 0.5``.

    Raises:
        RefusedValues: If the map holds only the values 0 and 1 (1 seen):
            a 0/1 export, which the threshold would make all background;
            ``'binary_png'`` reads it.
    """
    grey = single_channel(decode_image(content, backend, flag='grayscale'))
    if grey.dtype != np.uint8:
        raise ValueError(f'expected an 8-bit png, got dtype {grey.dtype}')
    seen = _values(grey)
    if seen.size and seen.max() == 1:
        raise RefusedValues(
            f'the map holds only the values {seen.tolist()}: a 0/1 export, '
            'which the soft-map threshold v/255 > 0.5 would turn into '
            'background everywhere', 'binary_png')
    return (grey.astype(np.float32) / 255. > 0.5).astype(np.uint8)


@DECODERS.register_module(name='binary_png')
def decode_binary_png(content: bytes,
                      backend: str,
                      allow_no_foreground: bool = False) -> np.ndarray:
    """Binary png already in {0, 1} (255 = ignore), returned as is.

    Args:
        content: The png bytes.
        backend: Image decoding backend.
        allow_no_foreground: Accept maps with ignored pixels (255) but no
            foreground (1): they look like a 0/255 export, so by default
            they are refused.

    Raises:
        ValueError: On values outside {0, 1, 255}.
        RefusedValues: On a map holding 255 but no 1, unless
            ``allow_no_foreground`` (``'binary_png_threshold'`` reads a
            0/255 export).
    """
    labels = decode_class_png(content, backend)
    seen = _values(labels)
    bad = np.setdiff1d(seen, (0, 1, 255))
    if bad.size:
        raise ValueError('expected values in {0, 1, 255}, found '
                         f'{bad.tolist()[:8]}')
    if 255 in seen and 1 not in seen and not allow_no_foreground:
        share = 100. * np.count_nonzero(labels == 255) / labels.size
        raise RefusedValues(
            f'the map holds only the values {seen.tolist()}: 255 marks '
            f'ignored pixels here ({share:.1f}% of the map) and no pixel '
            'is foreground, as a 0/255 export would be read. If 255 does '
            'mark ignored pixels, decode with dict(type=\'binary_png\', '
            'allow_no_foreground=True)', 'binary_png_threshold')
    return labels


@DECODERS.register_module(name='normals_png')
def decode_normals_png(content: bytes, backend: str) -> np.ndarray:
    """RGB png normals (see :mod:`mmvmt.fileio.normals`).

    The png stores (x, y, z) in the R, G, B channels; it is decoded in RGB
    order whatever the backend (OpenCV's default would be BGR). RGB
    (0, 0, 0) becomes the zero vector (invalid).
    """
    return decode_normals(
        decode_image(content, backend, flag='color', channel_order='rgb'))


@DECODERS.register_module(name='normals_npy')
def decode_normals_npy(content: bytes, backend: str) -> np.ndarray:
    """HxWx3 ``.npy`` normals; non-finite vectors become zero (invalid)."""
    arr = decode_npy(content)
    if arr.ndim != 3 or arr.shape[2] != 3 or not np.issubdtype(
            arr.dtype, np.floating):
        raise ValueError('expected a float HxWx3 array, got dtype '
                         f'{arr.dtype} and shape {arr.shape}')
    normals = arr.astype(np.float32)
    normals[~np.isfinite(normals).all(axis=-1)] = 0
    return normals


@DECODERS.register_module(name='depth_npy')
def decode_depth_npy(content: bytes,
                     backend: str,
                     scale: Optional[float] = None) -> np.ndarray:
    """HxW ``.npy`` depth; non-finite or negative values -> 0 (invalid).

    Args:
        content: The ``.npy`` bytes.
        backend: Unused (image backend of the other decoders).
        scale: Metres per stored unit, e.g. ``0.001`` for millimetres
            (the raw Kinect uint16 format). None (default): the file holds
            metres, as a floating dtype.

    Raises:
        ValueError: On a non-numeric array or a scale that is not a
            positive number.
        RefusedValues: On an integer array without ``scale`` (integer
            depth is a count of some unit, not metres).
    """
    arr = single_channel(decode_npy(content))
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        raise ValueError(f'expected a numeric array, got dtype {arr.dtype}')
    if scale is None and not np.issubdtype(arr.dtype, np.floating):
        values = (f'values {arr.min()}..{arr.max()}' if arr.size else 'empty')
        raise RefusedValues(
            f'depth must be metres in a floating dtype, got dtype '
            f'{arr.dtype} ({values}); integer depth needs its unit: for '
            'millimetres scale=0.001', dict(type='depth_npy', scale=0.001))
    if scale is not None and (isinstance(scale, bool)
                              or not isinstance(scale, (int, float))
                              or not np.isfinite(scale) or scale <= 0):
        raise ValueError(f'scale must be a positive number (metres per '
                         f'stored unit), got {scale!r}')
    depth = arr.astype(np.float64 if scale is not None else np.float32)
    if scale is not None:
        depth = (depth * scale).astype(np.float32)
    depth[~np.isfinite(depth) | (depth < 0)] = 0
    return depth


@DECODERS.register_module(name='binary_npy')
def decode_binary_npy(content: bytes, backend: str) -> np.ndarray:
    """HxW ``.npy`` binary map (NYUD edges).

    ``> 0.5`` -> 1, non-finite -> 255 (ignore), else 0.
    """
    arr = single_channel(decode_npy(content))
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        raise ValueError(f'expected a numeric array, got dtype {arr.dtype}')
    arr = arr.astype(np.float32)
    out = (arr > 0.5).astype(np.uint8)
    out[~np.isfinite(arr)] = 255
    return out
