"""Legend panels of the mosaic: what each colour of a task tile means.

Every function returns a white ``h x width x 3`` ``uint8`` RGB panel whose
height is what its content needs; the visualiser pads the panels of one
mosaic to a common height and puts them under the task columns.

* class maps: a colour swatch and the name of each class shown;
* binary maps: a gray ramp from 0 to 1 (the probability);
* normals: a lit hemisphere coloured with the normals' RGB code, so each
  colour reads as a direction (x right, y up, z towards the viewer);
* depth: the colour bar with ticks in metres.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .colorize import (INVALID_COLOR, INVALID_GRAY_COLOR, Color, depth_turbo,
                       normals_rgb, probability_gray)

__all__ = [
    'legend_font', 'lines_panel', 'class_legend', 'probability_legend',
    'normals_legend', 'depth_legend', 'normals_key', 'stack_legends'
]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_WHITE = (255, 255, 255)
_TEXT = (0, 0, 0)


def legend_font(width: int) -> Tuple[float, int, int]:
    """Font scale, thickness and line height for a panel ``width`` wide.

    Args:
        width: Panel width in pixels.

    Returns:
        tuple: ``(scale, thickness, line_height)``.
    """
    scale = float(np.clip(width / 400, 0.35, 0.6))
    (_, text_h), baseline = cv2.getTextSize('Ag', _FONT, scale, 1)
    return scale, 1, text_h + baseline + 4


def _fit(text: str, max_width: int, scale: float, thickness: int) -> str:
    """``text``, cut and ended with ``'.'`` until it is ``max_width`` wide."""
    if cv2.getTextSize(text, _FONT, scale, thickness)[0][0] <= max_width:
        return text
    while len(text) > 1 and cv2.getTextSize(text + '.', _FONT, scale,
                                            thickness)[0][0] > max_width:
        text = text[:-1]
    return text + '.'


def lines_panel(width: int,
                lines: Sequence[Tuple[Optional[Color], str]],
                top: Optional[np.ndarray] = None) -> np.ndarray:
    """A panel: an optional picture on top, then ``(swatch, text)`` lines.

    Args:
        width: Panel width.
        lines: One line per entry; ``swatch`` None draws no colour box.
        top: Optional ``h x w x 3`` picture centred above the lines.

    Returns:
        np.ndarray: The panel.
    """
    scale, thick, line_h = legend_font(width)
    top_h = 0 if top is None else top.shape[0] + 4
    panel = np.full((top_h + line_h * len(lines) + 4, width, 3), 255, np.uint8)
    if top is not None:
        left = max(0, (width - top.shape[1]) // 2)
        crop = top[:, :width - left]
        panel[2:2 + crop.shape[0], left:left + crop.shape[1]] = crop
    box = line_h - 6
    for i, (swatch, text) in enumerate(lines):
        y = top_h + 2 + i * line_h
        x = 2
        if swatch is not None:
            cv2.rectangle(panel, (x, y + 1), (x + box, y + 1 + box),
                          tuple(int(c) for c in swatch), -1)
            cv2.rectangle(panel, (x, y + 1), (x + box, y + 1 + box), _TEXT, 1)
            x += box + 4
        text = _fit(text, width - x - 2, scale, thick)
        cv2.putText(panel, text, (x, y + line_h - 6), _FONT, scale, _TEXT,
                    thick, cv2.LINE_AA)
    return panel


def class_legend(width: int,
                 ids: Sequence[int],
                 classes: Sequence[str],
                 palette: Sequence[Sequence[int]],
                 ignored: bool = False,
                 max_lines: int = 12) -> np.ndarray:
    """Swatch and name of each class in ``ids``.

    Args:
        width: Panel width.
        ids: Class ids shown in the task's tiles (sorted, unique).
        classes: Name per class id.
        palette: RGB colour per class id.
        ignored: Whether to add a line for ignored (invalid) pixels.
        max_lines: Classes listed at most; the rest are counted.

    Returns:
        np.ndarray: The panel.
    """
    ids = [int(i) for i in ids]
    shown = ids if len(ids) <= max_lines else ids[:max_lines - 1]
    lines: List[Tuple[Optional[Color],
                      str]] = [(tuple(palette[i]), f'{i} {classes[i]}')
                               for i in shown]
    if len(shown) < len(ids):
        lines.append((None, f'+{len(ids) - len(shown)} more classes'))
    if not ids:
        lines.append((None, 'no class shown'))
    if ignored:
        lines.append((INVALID_COLOR, 'ignored'))
    return lines_panel(width, lines)


def probability_legend(width: int, ignored: bool = False) -> np.ndarray:
    """A gray ramp from probability 0 (black) to 1 (white).

    Args:
        width: Panel width.
        ignored: Whether to add a line for ignored pixels (magenta).

    Returns:
        np.ndarray: The panel.
    """
    scale, thick, line_h = legend_font(width)
    ramp_w = max(8, width - 8)
    ramp = np.linspace(0, 1, ramp_w)[None].repeat(line_h, axis=0)
    ramp = probability_gray(ramp, np.ones(ramp.shape, bool))
    lines = [(None, 'probability 0 ... 1')]
    if ignored:
        lines.append((INVALID_GRAY_COLOR, 'ignored'))
    return lines_panel(width, lines, top=ramp)


def normals_key(size: int) -> np.ndarray:
    """The RGB code of the normals drawn on a hemisphere facing the viewer.

    The pixel at ``(u, v)`` of the unit disc (u right, v up) shows the
    normal ``(u, v, sqrt(1 - u^2 - v^2))``: the middle is ``(0, 0, 1)``,
    a surface facing the camera; the right edge ``(1, 0, 0)``, the top edge
    ``(0, 1, 0)``. Outside the disc is white.

    Args:
        size: Side of the square picture in pixels.

    Returns:
        np.ndarray: ``size x size x 3`` ``uint8`` RGB.
    """
    coords = (np.arange(size) + 0.5) / size * 2 - 1
    u = coords[None, :].repeat(size, axis=0)
    v = -coords[:, None].repeat(size, axis=1)
    inside = u**2 + v**2 <= 1
    z = np.sqrt(np.clip(1 - u**2 - v**2, 0, 1))
    normals = np.stack([u, v, z]) * inside
    rgb = normals_rgb(normals, inside)
    rgb[~inside] = _WHITE
    return rgb


def normals_legend(width: int, ignored: bool = False) -> np.ndarray:
    """:func:`normals_key` with its axes written below.

    Args:
        width: Panel width.
        ignored: Whether to add a line for invalid pixels (black).

    Returns:
        np.ndarray: The panel.
    """
    _, _, line_h = legend_font(width)
    key = normals_key(int(np.clip(width // 2, 16, 4 * line_h)))
    lines = [(None, 'x right, y up'), (None, 'z towards you')]
    if ignored:
        lines.append((INVALID_COLOR, 'invalid'))
    return lines_panel(width, lines, top=key)


def depth_legend(width: int,
                 max_depth: float,
                 ignored: bool = False) -> np.ndarray:
    """The depth colour bar from 0 to ``max_depth`` metres, with ticks.

    Args:
        width: Panel width.
        max_depth: Depth at the top of the colour map (positive).
        ignored: Whether to add a line for invalid pixels (black).

    Returns:
        np.ndarray: The panel.
    """
    scale, thick, line_h = legend_font(width)
    bar_w = max(8, width - 8)
    depth = np.linspace(0, max_depth, bar_w)[None].repeat(line_h, axis=0)
    bar = depth_turbo(depth, np.ones(depth.shape, bool), max_depth)
    ticks = np.full((line_h, bar_w, 3), 255, np.uint8)
    for frac, align in ((0., 0), (.5, 1), (1., 2)):
        text = f'{max_depth * frac:.3g}'
        text_w = cv2.getTextSize(text, _FONT, scale, thick)[0][0]
        x = int(round(frac * (bar_w - 1))) - (text_w * align) // 2
        x = int(np.clip(x, 0, max(0, bar_w - text_w)))
        cv2.putText(ticks, text, (x, line_h - 6), _FONT, scale, _TEXT, thick,
                    cv2.LINE_AA)
    lines = [(None, 'depth in metres')]
    if ignored:
        lines.append((INVALID_COLOR, 'invalid'))
    return lines_panel(width, lines, top=np.concatenate([bar, ticks]))


def stack_legends(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Pad panels to one height (white) and put them side by side.

    Args:
        panels: Panels (any heights), left to right.

    Returns:
        np.ndarray: ``max_h x sum(widths) x 3`` white-padded band.
    """
    height = max(p.shape[0] for p in panels)
    padded = [
        np.concatenate(
            [p,
             np.full((height - p.shape[0], ) + p.shape[1:], 255, np.uint8)])
        for p in panels
    ]
    return np.concatenate(padded, axis=1)
