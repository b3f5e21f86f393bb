"""Ground-truth decoders: file bytes -> pipeline map (:mod:`mmvmt.tasks`).

Each decoder is registered in :data:`~mmvmt.fileio.registry.DECODERS` under
the name a dataset puts into ``TaskAnnotation.decoder``. Outputs follow the
pipeline conventions: class/binary maps ``uint8`` HxW with 255 ignore,
normals ``float32`` HxWx3 with the zero vector where invalid, depth
``float32`` HxW metres with 0 invalid.
"""
import numpy as np

from .image_io import decode_image, decode_npy, single_channel
from .normals import decode_normals
from .registry import DECODERS

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


@DECODERS.register_module(name='binary_png_threshold')
def decode_binary_png_threshold(content: bytes, backend: str) -> np.ndarray:
    """Soft grey-scale map (PASCAL distilled saliency): ``v / 255 > 0.5``."""
    grey = single_channel(decode_image(content, backend, flag='grayscale'))
    if grey.dtype != np.uint8:
        raise ValueError(f'expected an 8-bit png, got dtype {grey.dtype}')
    return (grey.astype(np.float32) / 255. > 0.5).astype(np.uint8)


@DECODERS.register_module(name='binary_png')
def decode_binary_png(content: bytes, backend: str) -> np.ndarray:
    """Binary png already in {0, 1} (255 = ignore), returned as is."""
    labels = decode_class_png(content, backend)
    bad = np.setdiff1d(np.unique(labels), (0, 1, 255))
    if bad.size:
        raise ValueError('expected values in {0, 1, 255}, found '
                         f'{bad.tolist()[:8]}')
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
def decode_depth_npy(content: bytes, backend: str) -> np.ndarray:
    """HxW ``.npy`` depth in metres; non-finite or negative values -> 0."""
    arr = single_channel(decode_npy(content))
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f'expected a numeric array, got dtype {arr.dtype}')
    depth = arr.astype(np.float32)
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
