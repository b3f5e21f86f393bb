"""Pure colouring functions: a hand-computed pixel per task kind."""
import cv2
import numpy as np
import pytest

from mmvmt.visualization import (class_map_rgb, class_names_and_palette,
                                 depth_reference, depth_turbo,
                                 generated_palette, normals_rgb, overlay,
                                 probability_gray)
from mmvmt.visualization.class_labels import draw_class_names

VALID = np.array([[True, True], [True, False]])
BLACK, MAGENTA = [0, 0, 0], [255, 0, 255]


def test_generated_palette_is_voc_colormap():
    assert generated_palette(4) == [(0, 0, 0), (128, 0, 0), (0, 128, 0),
                                    (128, 128, 0)]
    assert generated_palette(9)[8] == (64, 0, 0)


def test_class_map_rgb():
    ids = np.array([[0, 2], [1, 255]])
    palette = [(1, 2, 3), (4, 5, 6), (7, 8, 9)]
    rgb = class_map_rgb(ids, VALID, palette)
    assert rgb.dtype == np.uint8
    assert rgb.tolist() == [[[1, 2, 3], [7, 8, 9]], [[4, 5, 6], BLACK]]
    with pytest.raises(ValueError, match='palette has 2 colours'):
        class_map_rgb(ids, VALID, palette[:2])


def test_overlay_truncates_like_mmseg():
    image = np.full((2, 2, 3), (100, 200, 51), np.uint8)
    colors = np.full((2, 2, 3), (11, 20, 255), np.uint8)
    out = overlay(image, colors, VALID, alpha=0.5)
    # 100/2 + 11/2 = 55.5 -> 55; 200/2 + 20/2 = 110; 51/2 + 255/2 = 153
    assert out[0, 0].tolist() == [55, 110, 153]
    assert out[1, 1].tolist() == BLACK


def test_probability_gray():
    prob = np.array([[0.25, 1.2], [-0.1, 0.25]])
    rgb = probability_gray(prob, VALID)
    # round(0.25 * 255) = round(63.75) = 64; out of [0, 1] is clipped
    assert rgb.tolist() == [[[64] * 3, [255] * 3], [[0] * 3, MAGENTA]]


def test_normals_rgb():
    normals = np.zeros((3, 2, 2))
    normals[:, 0, 0] = (0.5, -0.5, 0.7071068)
    rgb = normals_rgb(normals, VALID)
    # (n + 1) * 127.5: 191.25 -> 191, 63.75 -> 64, 217.66 -> 218; x -> R
    assert rgb[0, 0].tolist() == [191, 64, 218]
    assert rgb[0, 1].tolist() == [128, 128, 128]  # 127.5 -> 128 (even)
    assert rgb[1, 1].tolist() == BLACK


def test_depth_turbo_and_reference():
    depth = np.array([[2.0, 9.0], [0.0, 50.0]])
    assert depth_reference(depth, VALID) == 9.0  # the invalid 50 is ignored
    assert depth_reference(depth, np.zeros_like(VALID)) == 1.0
    assert depth_reference(np.zeros((2, 2)), VALID) == 1.0
    rgb = depth_turbo(depth, VALID, max_depth=4.0)
    turbo = cv2.applyColorMap(
        np.arange(256, dtype=np.uint8)[None], cv2.COLORMAP_TURBO)[0, :, ::-1]
    # 2 / 4 * 255 = 127.5 -> 128; 9 / 4 clips to 1 -> 255; 0 -> 0
    assert rgb[0, 0].tolist() == turbo[128].tolist()
    assert rgb[0, 1].tolist() == turbo[255].tolist()
    assert rgb[1, 0].tolist() == turbo[0].tolist()
    assert rgb[1, 1].tolist() == BLACK


def test_names_and_palette_come_from_task_keys_only():
    gen = generated_palette(3)
    assert class_names_and_palette(None, 'semseg', 3) == (['0', '1', '2'], gen)
    meta = dict(
        classes=['x'],
        palette=[[9, 9, 9]],
        task_classes=dict(human_parts=['a', 'b']),
        task_palettes=dict(human_parts=[[1, 2, 3]]))
    assert class_names_and_palette(meta, 'human_parts',
                                   3) == (['a', 'b', '2'], [(1, 2, 3), gen[1],
                                                            gen[2]])
    # mmseg's classes / palette describe no task
    assert class_names_and_palette(meta, 'semseg', 1) == (['0'], gen[:1])
    assert class_names_and_palette(meta, 'human_parts', 0)[0] == ['a', 'b']


def test_class_names_are_drawn_at_present_valid_classes():
    ids = np.zeros((200, 200), np.int64)
    ids[:, 100:] = 1
    valid = np.ones_like(ids, bool)
    valid[:, :100] = False  # class 0 only at invalid pixels: no label
    palette = [(10, 10, 10), (200, 0, 0)]
    canvas = class_map_rgb(ids, valid, palette)
    plain = canvas.copy()
    draw_class_names(canvas, ids, valid, ['zero', 'one'], palette)
    changed = np.argwhere((canvas != plain).any(axis=2))
    assert len(changed)
    # the label box starts at the middle of class 1's first widest row
    assert changed[:, 0].min() == 0 and changed[:, 1].min() == 150
