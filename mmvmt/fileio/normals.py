"""The 8-bit RGB encoding of surface normals (PASCAL ``normals_distill``).

A normal ``n`` in [-1, 1]^3 is stored as ``v = round((n + 1) * 127.5)`` in
the R, G, B channels (x, y, z). ``v = (0, 0, 0)`` is reserved for invalid
pixels: it would decode to (-1, -1, -1), which is no unit vector. Decoding
gives ``n = 2 v / 255 - 1`` and the zero vector (the pipeline's invalid
normal, see :mod:`mmvmt.tasks`) for reserved pixels.
"""
import numpy as np

__all__ = ['encode_normals', 'decode_normals']


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """Encode normals as RGB ``uint8``: ``v = round((n + 1) * 127.5)``.

    Used to write ground truth (demo data) and predictions and to draw
    normals; the inverse of :func:`decode_normals` up to quantisation.

    Args:
        normals: ``(H, W, 3)`` vectors with components in [-1, 1].

    Returns:
        np.ndarray: ``(H, W, 3)`` ``uint8`` RGB.
    """
    return np.clip(np.round((normals + 1.) * 127.5), 0, 255).astype(np.uint8)


def decode_normals(rgb: np.ndarray) -> np.ndarray:
    """Decode RGB ``uint8`` normals: ``n = 2 v / 255 - 1``.

    Args:
        rgb: ``(H, W, 3)`` ``uint8`` in RGB (x, y, z) order.

    Returns:
        np.ndarray: ``(H, W, 3)`` ``float32``; pixels stored as (0, 0, 0)
        become the zero vector (invalid).

    Raises:
        ValueError: If ``rgb`` is not an 8-bit 3-channel image.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError('expected an 8-bit RGB image, got dtype '
                         f'{rgb.dtype} and shape {rgb.shape}')
    normals = rgb.astype(np.float32) * np.float32(2. / 255.) - np.float32(1.)
    normals[(rgb == 0).all(axis=-1)] = 0
    return normals
