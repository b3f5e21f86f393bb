"""class_palette: the VOC colour map, deterministic and distinct."""
import pytest
from mmseg.datasets import PascalVOCDataset

from mmvmt.palettes import class_palette


def test_first_21_codes_are_the_voc_palette():
    assert class_palette(21) == PascalVOCDataset.METAINFO['palette']


def test_first_code_shifts_and_colours_are_distinct():
    assert class_palette(3, first_code=1) == class_palette(4)[1:]
    colours = class_palette(256)
    assert len({tuple(c) for c in colours}) == 256
    assert colours[0] == [0, 0, 0] and [0, 0, 0] not in class_palette(
        255, first_code=1)
    assert class_palette(0) == []


def test_too_many_codes():
    with pytest.raises(ValueError, match='256 distinct codes'):
        class_palette(256, first_code=1)
