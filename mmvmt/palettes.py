"""Deterministic class palettes (the PASCAL VOC colour map).

Bottom layer, beside :mod:`mmvmt.tasks`: the datasets' ``task_palettes``
metainfo and the visualiser's fallback colours both come from here.
"""
from typing import List

__all__ = ['class_palette']


def class_palette(num_classes: int, first_code: int = 0) -> List[List[int]]:
    """Colours of the PASCAL VOC colour map (bit-interleaved codes).

    Code ``c`` spreads its bits over the channels: bit ``3 k`` goes to the
    red, ``3 k + 1`` to the green and ``3 k + 2`` to the blue channel, at
    bit position ``7 - k``. Codes 0..20 give mmseg's VOC palette; every code
    below 256 gets its own colour, and code 0 is black.

    Args:
        num_classes: Number of colours.
        first_code: Code of the first class; 1 skips black (for datasets
            whose class 0 is a real class, as black marks ignored pixels).

    Returns:
        list[list[int]]: ``num_classes`` RGB triples.

    Raises:
        ValueError: If the codes would leave ``[0, 256)``.
    """
    if num_classes < 0 or first_code < 0 or first_code + num_classes > 256:
        raise ValueError('class_palette has 256 distinct codes, got '
                         f'{num_classes} classes from code {first_code}')
    palette = []
    for code in range(first_code, first_code + num_classes):
        rgb = [0, 0, 0]
        for k in range(8):
            for channel in range(3):
                bit = (code >> (3 * k + channel)) & 1
                rgb[channel] |= bit << (7 - k)
        palette.append(rgb)
    return palette
