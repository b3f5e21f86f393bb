"""Pure colouring of task maps into ``H x W x 3`` ``uint8`` RGB arrays.

One function per task kind. Each returns a new array and paints the pixels
that ``valid`` marks invalid in a fixed colour, so a tile never shows a
made-up value there.
"""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from ..fileio import encode_normals
from ..palettes import class_palette

__all__ = [
    'Color', 'INVALID_COLOR', 'INVALID_GRAY_COLOR', 'generated_palette',
    'class_map_rgb', 'overlay', 'probability_gray', 'normals_rgb',
    'depth_reference', 'depth_turbo'
]

#: Colour of invalid pixels in every tile but the grayscale ones.
INVALID_COLOR = (0, 0, 0)
#: Colour of invalid pixels in grayscale (probability) tiles, where black
#: already means background.
INVALID_GRAY_COLOR = (255, 0, 255)

Color = Tuple[int, int, int]


def generated_palette(num_colors: int) -> List[Color]:
    """The PASCAL VOC bit-interleaved colour map (0 is black) as tuples.

    Deterministic, and equal to the VOC palette for the first 21 entries
    (:func:`mmvmt.palettes.class_palette`).

    Args:
        num_colors: Number of colours (at most 256).

    Returns:
        list[tuple]: ``num_colors`` RGB triples.
    """
    return [tuple(rgb) for rgb in class_palette(num_colors)]


def _paint_invalid(rgb: np.ndarray, valid: np.ndarray,
                   color: Color) -> np.ndarray:
    """Set the invalid pixels of ``rgb`` to ``color`` in place."""
    rgb[~valid] = color
    return rgb


def class_map_rgb(ids: np.ndarray, valid: np.ndarray,
                  palette: Sequence[Sequence[int]]) -> np.ndarray:
    """Palette colour of each pixel's class id.

    Args:
        ids: ``H x W`` integer class ids.
        valid: ``H x W`` bool mask of valid pixels.
        palette: RGB colour per class id.

    Returns:
        np.ndarray: ``H x W x 3`` colours, :data:`INVALID_COLOR` where
        invalid.

    Raises:
        ValueError: If a valid pixel's id has no palette entry.
    """
    colors = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    valid_ids = ids[valid].astype(np.int64)
    if valid_ids.size and (valid_ids.min() < 0
                           or valid_ids.max() >= len(colors)):
        raise ValueError(f'class ids in [{valid_ids.min()}, '
                         f'{valid_ids.max()}] but the palette has '
                         f'{len(colors)} colours')
    rgb = np.zeros(ids.shape + (3, ), np.uint8)
    rgb[valid] = colors[valid_ids]
    return _paint_invalid(rgb, valid, INVALID_COLOR)


def overlay(image: np.ndarray, colors: np.ndarray, valid: np.ndarray,
            alpha: float) -> np.ndarray:
    """Blend colours over an image: ``image (1 - alpha) + colors alpha``.

    The result is truncated to ``uint8`` (as mmseg's
    ``SegLocalVisualizer``).

    Args:
        image: ``H x W x 3`` ``uint8`` image.
        colors: ``H x W x 3`` ``uint8`` colour layer.
        valid: ``H x W`` bool mask of valid pixels.
        alpha: Opacity of the colours.

    Returns:
        np.ndarray: ``H x W x 3`` blend, :data:`INVALID_COLOR` where invalid.
    """
    blend = (image * (1 - alpha) + colors * alpha).astype(np.uint8)
    return _paint_invalid(blend, valid, INVALID_COLOR)


def probability_gray(prob: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Gray level ``round(clip(p, 0, 1) * 255)`` in all three channels.

    Args:
        prob: ``H x W`` probabilities (or ``{0, 1}`` ground truth).
        valid: ``H x W`` bool mask of valid pixels.

    Returns:
        np.ndarray: ``H x W x 3`` gray, :data:`INVALID_GRAY_COLOR` where
        invalid.
    """
    gray = np.round(np.clip(prob, 0, 1) * 255).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    return _paint_invalid(rgb, valid, INVALID_GRAY_COLOR)


def normals_rgb(normals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Normals as RGB ``round((n + 1) * 127.5)`` (the benchmark encoding).

    Args:
        normals: ``3 x H x W`` vectors, (x, y, z) -> (R, G, B).
        valid: ``H x W`` bool mask of valid pixels.

    Returns:
        np.ndarray: ``H x W x 3`` colours, :data:`INVALID_COLOR` where
        invalid.
    """
    rgb = encode_normals(np.asarray(normals).transpose(1, 2, 0))
    return _paint_invalid(rgb, valid, INVALID_COLOR)


def depth_reference(depth: np.ndarray, valid: np.ndarray) -> float:
    """Depth mapped to the top of the colour map: the maximum valid depth.

    Args:
        depth: ``H x W`` metres.
        valid: ``H x W`` bool mask of valid pixels.

    Returns:
        float: The maximum valid depth, 1.0 if there is none or it is not
        positive.
    """
    values = depth[valid]
    top = float(values.max()) if values.size else 0.0
    return top if top > 0 else 1.0


def depth_turbo(depth: np.ndarray, valid: np.ndarray,
                max_depth: float) -> np.ndarray:
    """``cv2.COLORMAP_TURBO`` of ``round(clip(d / max_depth, 0, 1) * 255)``.

    Args:
        depth: ``H x W`` metres.
        valid: ``H x W`` bool mask of valid pixels.
        max_depth: Depth shown at the top of the colour map (positive).

    Returns:
        np.ndarray: ``H x W x 3`` RGB colours, :data:`INVALID_COLOR` where
        invalid.
    """
    scaled = np.round(np.clip(depth / max_depth, 0, 1) * 255)
    bgr = cv2.applyColorMap(scaled.astype(np.uint8), cv2.COLORMAP_TURBO)
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    return _paint_invalid(rgb, valid, INVALID_COLOR)
