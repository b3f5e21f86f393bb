"""Byte-level helpers shared by the codecs: decode images/arrays, write."""
import io
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import mmcv
import numpy as np

__all__ = ['decode_image', 'decode_npy', 'single_channel', 'write_image']


def decode_image(content: bytes,
                 backend: str,
                 flag: str = 'unchanged',
                 channel_order: str = 'bgr') -> np.ndarray:
    """Decode image bytes with :func:`mmcv.imfrombytes`.

    Args:
        content: Encoded image.
        backend: mmcv decoding backend (``'cv2'``, ``'pillow'``, ...).
        flag: mmcv colour flag.
        channel_order: ``'bgr'`` or ``'rgb'`` for colour images.

    Returns:
        np.ndarray: The decoded image.

    Raises:
        ValueError: If the bytes are no decodable image.
    """
    img = mmcv.imfrombytes(
        content, flag=flag, channel_order=channel_order, backend=backend)
    if img is None:  # cv2 returns None instead of raising
        raise ValueError('the bytes are not a decodable image')
    return img


def decode_npy(content: bytes) -> np.ndarray:
    """Load a ``.npy`` array from its bytes (no pickles)."""
    with io.BytesIO(content) as buff:
        return np.load(buff, allow_pickle=False)


def single_channel(arr: np.ndarray) -> np.ndarray:
    """``HxW`` view of an ``HxW`` or ``HxWx1`` map.

    Raises:
        ValueError: For any other shape.
    """
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError('expected a single-channel HxW map, got shape '
                         f'{arr.shape}')
    return arr


def write_image(path: str,
                img: np.ndarray,
                channel_order: str = 'bgr',
                params: Optional[Sequence[int]] = None) -> str:
    """Write an image with OpenCV, creating the folder if needed.

    Args:
        path: Output file; the extension selects the format.
        img: ``HxW`` or ``HxWx3`` image.
        channel_order: Channel order of a colour ``img``: ``'bgr'``
            (OpenCV's) or ``'rgb'`` (converted before writing, so the file
            holds the colours as given).
        params: OpenCV ``imwrite`` parameters, e.g. the JPEG quality.

    Returns:
        str: ``path``.

    Raises:
        OSError: If OpenCV cannot write the file.
    """
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    if channel_order == 'rgb' and img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    try:
        written = cv2.imwrite(path, img, list(params or []))
    except cv2.error as e:  # e.g. an unknown extension
        raise OSError(f'cannot write {path}: {e}') from e
    if not written:
        raise OSError(f'cannot write {path}')
    return path
