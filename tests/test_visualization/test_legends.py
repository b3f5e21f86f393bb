"""Legends and the prediction-only mosaic of MultiTaskLocalVisualizer."""
import cv2
import numpy as np
import torch
from mmseg.registry import VISUALIZERS

from mmvmt.structures import MultiTaskDataSample
from mmvmt.visualization.legends import (class_legend, depth_legend,
                                         legend_font, normals_key,
                                         probability_legend, stack_legends)

H, W = 40, 120
PALETTE = [(10 * i, 200 - 10 * i, 5 * i) for i in range(8)]
CLASSES = [f'class{i}' for i in range(8)]


def has_color(panel, color):
    return bool((panel.reshape(-1, 3) == np.array(color)).all(1).any())


def test_class_legend_lists_the_classes_shown():
    line_h = legend_font(W)[2]
    one = class_legend(W, [3], CLASSES, PALETTE)
    three = class_legend(W, [1, 3, 6], CLASSES, PALETTE, ignored=True)
    assert one.shape[1] == three.shape[1] == W
    assert three.shape[0] - one.shape[0] == 3 * line_h  # 2 classes + ignored
    for i in (1, 3, 6):
        assert has_color(three, PALETTE[i])
    assert not has_color(three, PALETTE[4])
    many = class_legend(W, list(range(8)), CLASSES, PALETTE, max_lines=4)
    assert many.shape[0] == one.shape[0] + 3 * line_h  # 3 + '+5 more'
    assert not has_color(many, PALETTE[5])


def test_normals_key_encodes_directions():
    key = normals_key(101)
    assert key[50, 50].tolist() == [128, 128, 255]  # (0, 0, 1): facing you
    right, top = key[50, 100], key[0, 50]
    assert right[0] > 240 and abs(int(right[1]) - 128) < 3  # (1, 0, 0)
    assert top[1] > 240 and abs(int(top[0]) - 128) < 3  # (0, 1, 0): up
    assert key[0, 0].tolist() == [255, 255, 255]  # outside the disc


def test_depth_and_probability_legends():
    panel = depth_legend(W, 8.0)
    turbo = cv2.applyColorMap(
        np.array([[0, 255]], np.uint8), cv2.COLORMAP_TURBO)[0, :, ::-1]
    # The bar (W - 8 wide) is centred 2 px below the top: columns 4..W-5.
    bar_row = panel[4]
    assert bar_row[4].tolist() == turbo[0].tolist()
    assert bar_row[W - 5].tolist() == turbo[1].tolist()
    assert bar_row[3].tolist() == bar_row[W - 4].tolist() == [255] * 3
    ramp = probability_legend(W)[4]
    assert ramp[4].tolist() == [0, 0, 0] and ramp[W - 5].tolist() == [255] * 3
    band = stack_legends([np.zeros((3, 2, 3), np.uint8), panel])
    assert band.shape == (panel.shape[0], 2 + W, 3)
    assert (band[3:, :2] == 255).all()


def make_vis(name):
    vis = VISUALIZERS.build(dict(type='MultiTaskLocalVisualizer', name=name))
    vis.dataset_meta = dict(
        task_classes=dict(semseg=CLASSES, human_parts=CLASSES[:3]),
        task_palettes=dict(semseg=PALETTE, human_parts=PALETTE[:3]))
    return vis


def test_prediction_only_mosaic_has_one_row_and_legends():
    vis = make_vis('vis_legend_pred')
    image = np.full((H, W, 3), 90, np.uint8)
    sample = MultiTaskDataSample()
    semseg = torch.full((1, H, W), 2)
    semseg[0, :, W // 2:] = 5
    sample.set_task_pred('semseg', semseg)
    sample.set_task_pred('depth', torch.full((1, H, W), 3.0))
    mosaic = vis.draw_multitask_mosaic(image, sample)
    assert mosaic.shape[1] == 3 * W and mosaic.shape[0] > H
    band = mosaic[H:]
    semseg_legend = band[:, W:2 * W]
    assert has_color(semseg_legend, PALETTE[2])
    assert has_color(semseg_legend, PALETTE[5])
    assert not has_color(semseg_legend, PALETTE[3])
    # depth legend: the colour bar (scaled to the prediction's maximum).
    np.testing.assert_array_equal(band[:, 2 * W:],
                                  depth_legend(W, 3.0)[:band.shape[0]])
    plain = vis.draw_multitask_mosaic(image, sample, draw_legend=False)
    np.testing.assert_array_equal(plain, mosaic[:H])


def test_empty_ground_truth_tiles_say_no_annotation():
    vis = make_vis('vis_legend_noann')
    image = np.full((H, W, 3), 200, np.uint8)
    sample = MultiTaskDataSample()
    sample.set_task_gt('semseg', torch.full((1, H, W), 1))
    # human parts annotated nowhere (no person): every pixel ignored
    sample.set_task_gt('human_parts', torch.full((1, H, W), 255))
    for task in ('semseg', 'human_parts', 'sal'):
        sample.set_task_pred(task, torch.ones((1, H, W), dtype=torch.long))
    mosaic = vis.draw_multitask_mosaic(image, sample, draw_legend=False)
    assert mosaic.shape == (2 * H, 4 * W, 3)
    dimmed = int(200 * 0.35)
    for col in (2, 3):  # human_parts GT (all ignored), sal GT (missing)
        gt_tile = mosaic[:H, col * W:(col + 1) * W]
        assert gt_tile[-1, -1].tolist() == [dimmed] * 3
        assert gt_tile[16:30].max() == 255  # white text mid-tile
    # The semseg GT is drawn normally (palette colour blended).
    assert mosaic[H - 1, 2 * W - 1].tolist() != [dimmed] * 3


def test_depth_scale_ignores_an_empty_ground_truth():
    vis = make_vis('vis_legend_depth')
    image = np.full((H, W, 3), 90, np.uint8)
    sample = MultiTaskDataSample()
    sample.set_task_gt('depth', torch.zeros((1, H, W)))  # no valid depth
    sample.set_task_pred('depth', torch.full((1, H, W), 6.0))
    mosaic = vis.draw_multitask_mosaic(image, sample)
    band = mosaic[2 * H:, W:]
    np.testing.assert_array_equal(band, depth_legend(W, 6.0)[:band.shape[0]])
    # The prediction is drawn at the top of the colour map (6 m = max).
    turbo_top = cv2.applyColorMap(
        np.array([[255]], np.uint8), cv2.COLORMAP_TURBO)[0, 0, ::-1]
    assert mosaic[2 * H - 1, 2 * W - 1].tolist() == turbo_top.tolist()
