"""Class names written onto a class-map colour layer (mmseg's style)."""
from typing import Sequence

import cv2
import numpy as np

__all__ = ['center_loc', 'draw_class_names']


def center_loc(mask: np.ndarray) -> np.ndarray:
    """Label position of a class: the middle pixel of its widest row.

    Same result as mmseg's ``SegLocalVisualizer._get_center_loc`` (first
    row with the most pixels), without sorting every pixel in Python.

    Args:
        mask: ``H x W`` binary mask of the class (not empty).

    Returns:
        np.ndarray: ``[x, y]``.
    """
    mask = np.asarray(mask) == 1
    y = int(mask.sum(axis=1).argmax())
    xs = np.flatnonzero(mask[y])
    return np.array([xs[len(xs) // 2], y])


def draw_class_names(canvas: np.ndarray, ids: np.ndarray, valid: np.ndarray,
                     classes: Sequence[str],
                     palette: Sequence[Sequence[int]]) -> None:
    """Write each present class's name at its :func:`center_loc`.

    The text is white on a box of the class colour with a black border,
    sized to the canvas, as mmseg's ``SegLocalVisualizer._draw_sem_seg``
    draws it (before blending the layer over the image).

    Args:
        canvas: ``H x W x 3`` ``uint8`` colour layer, drawn on in place.
        ids: ``H x W`` integer class ids.
        valid: ``H x W`` bool mask of valid pixels.
        classes: Name per class id.
        palette: RGB colour per class id.
    """
    height, width = canvas.shape[:2]
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = min(height, width) / 500
    thickness = 1 if height < 300 or width < 300 else 2
    for label in np.unique(ids[valid])[::-1]:
        label = int(label)
        x, y = (int(v) for v in center_loc(valid & (ids == label)))
        text = classes[label]
        color = tuple(int(c) for c in palette[label])
        (text_w, text_h), baseline = cv2.getTextSize(text, font, scale,
                                                     thickness)
        corner = (x + text_w + baseline, y + text_h + baseline)
        cv2.rectangle(canvas, (x, y), corner, color, -1)
        cv2.rectangle(canvas, (x, y), corner, (0, 0, 0), thickness)
        cv2.putText(canvas, text, (x, y + text_h), font, scale,
                    (255, 255, 255), thickness, 2)
