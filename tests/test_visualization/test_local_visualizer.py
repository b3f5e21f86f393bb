"""MultiTaskLocalVisualizer: mosaic layout, per-kind colours, parent path."""
import os.path as osp

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import get_task
from mmvmt.visualization import MultiTaskLocalVisualizer, generated_palette

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
H, W = 24, 32
TASK_ORDER = ('semseg', 'human_parts', 'sal', 'normals', 'depth')
SEMSEG_PALETTE = [[10 * i, 255 - 10 * i, 7 * i] for i in range(21)]
#: A pixel far from the tile titles (bottom-right corner of a tile).
PY, PX = H - 1, W - 1


def make_visualizer(name, **kwargs):
    # Layout tests: no legend band (tests/test_visualization/test_legends.py)
    kwargs.setdefault('draw_legend', False)
    vis = VISUALIZERS.build(
        dict(type='MultiTaskLocalVisualizer', name=name, **kwargs))
    # classes / palette: mmseg's keys, read for plain samples only
    vis.dataset_meta = dict(
        classes=[f'c{i}' for i in range(21)],
        palette=SEMSEG_PALETTE,
        task_classes=dict(
            semseg=[f'c{i}' for i in range(21)],
            human_parts=['background', 'head', 'torso']),
        task_palettes=dict(semseg=SEMSEG_PALETTE))
    return vis


def make_image():
    return np.random.RandomState(0).randint(0, 256, (H, W, 3)).astype(np.uint8)


def make_sample(tasks=TASK_ORDER, with_pred=True):
    """Hand-made GT/pred for every task with known values at (PY, PX)."""
    sample = MultiTaskDataSample(metainfo=dict(tasks=tuple(tasks)))
    semseg = torch.full((1, H, W), 3, dtype=torch.long)
    semseg[0, PY, PX - 1] = 255
    parts = torch.full((1, H, W), 2, dtype=torch.long)
    sal = torch.ones((1, H, W), dtype=torch.long)
    sal[0, PY, PX - 1] = 255
    normals = torch.zeros((3, H, W))
    normals[:, PY, PX] = torch.tensor([0.5, -0.5, 0.7071068])
    normals[:, :, :PX] = torch.tensor([0.0, 0.0, 1.0])[:, None, None]
    normals[:, PY, PX - 1] = get_task('normals').ignore_value
    depth = torch.full((1, H, W), 2.0)
    depth[0, 0, 0] = 4.0
    depth[0, PY, PX - 1] = 0
    gts = dict(
        semseg=semseg,
        human_parts=parts,
        sal=sal,
        normals=normals,
        depth=depth)
    preds = dict(
        semseg=torch.full((1, H, W), 5, dtype=torch.long),
        human_parts=torch.ones((1, H, W), dtype=torch.long),
        sal=torch.full((1, H, W), 0.25),
        normals=torch.nn.functional.normalize(
            torch.tensor([0.5, 0.5, -0.7071068])[:, None,
                                                 None].expand(3, H, W),
            dim=0),
        depth=torch.full((1, H, W), 2.0))
    for task in tasks:
        sample.set_task_gt(task, gts[task])
        if with_pred:
            sample.set_task_pred(task, preds[task])
    return sample


def read_rgb(path):
    return mmcv.bgr2rgb(cv2.imread(path))


def tile(mosaic, row, col):
    return mosaic[row * H:(row + 1) * H, col * W:(col + 1) * W]


def blend(image_px, color, alpha=0.8):
    return (image_px * (1 - alpha) + np.array(color) * alpha).astype(np.uint8)


def test_mosaic_file_layout_and_colours(tmp_path):
    vis = make_visualizer('vis_layout')
    image = make_image()
    out = str(tmp_path / 'mosaic.png')
    vis.add_datasample(
        'sample', image, make_sample(), out_file=out, with_labels=False)
    assert osp.isfile(out)
    mosaic = read_rgb(out)
    # 2 rows (GT, pred) x (image + 5 tasks) columns of H x W tiles.
    assert mosaic.shape == (2 * H, 6 * W, 3)
    np.testing.assert_array_equal(vis.get_image(), mosaic)
    img_px = image[PY, PX]
    for row in (0, 1):
        assert (tile(mosaic, row, 0)[PY, PX] == img_px).all()

    # semseg: task_palettes colours blended over the image, ignore black.
    gt = tile(mosaic, 0, 1)
    assert (gt[PY, PX] == blend(img_px, SEMSEG_PALETTE[3])).all()
    assert (gt[PY, PX - 1] == 0).all()
    pred = tile(mosaic, 1, 1)
    assert (pred[PY, PX] == blend(img_px, SEMSEG_PALETTE[5])).all()
    # human_parts: no task_palettes entry: generated VOC colour map.
    assert (tile(mosaic, 0, 2)[PY, PX] == blend(img_px, (0, 128, 0))).all()
    assert (tile(mosaic, 1, 2)[PY, PX] == blend(img_px, (128, 0, 0))).all()
    # sal: grayscale, ignore magenta.
    assert (tile(mosaic, 0, 3)[PY, PX] == 255).all()
    assert tile(mosaic, 0, 3)[PY, PX - 1].tolist() == [255, 0, 255]
    assert (tile(mosaic, 1, 3)[PY, PX] == 64).all()  # round(0.25 * 255)
    # normals: (n + 1) / 2 * 255, invalid black.
    assert tile(mosaic, 0, 4)[PY, PX].tolist() == [191, 64, 218]
    assert tile(mosaic, 0, 4)[PY, PX - 1].tolist() == [0, 0, 0]
    assert tile(mosaic, 1, 4)[PY, PX].tolist() == [191, 191, 37]
    # depth: colour map of depth / max valid GT depth (4), invalid black.
    turbo = cv2.applyColorMap(np.array([[128]], np.uint8),
                              cv2.COLORMAP_TURBO)[0, 0, ::-1]
    assert (tile(mosaic, 0, 5)[PY, PX] == turbo).all()
    assert (tile(mosaic, 1, 5)[PY, PX] == turbo).all()
    assert tile(mosaic, 0, 5)[PY, PX - 1].tolist() == [0, 0, 0]


def test_palette_is_read_from_task_palettes_only():
    vis = make_visualizer('vis_palettes')
    image = make_image()
    sample = make_sample(('semseg', 'human_parts'), with_pred=False)
    parts_palette = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    vis.dataset_meta = dict(
        palette=SEMSEG_PALETTE, task_palettes=dict(human_parts=parts_palette))
    mosaic = vis.draw_multitask_mosaic(image, sample, with_labels=False)
    img_px = image[PY, PX]
    # semseg has no task_palettes entry: mmseg's 'palette' is not used
    assert (tile(mosaic, 0, 1)[PY,
                               PX] == blend(img_px,
                                            generated_palette(4)[3])).all()
    assert (tile(mosaic, 0, 2)[PY, PX] == blend(img_px, (7, 8, 9))).all()


def test_titles_are_drawn(tmp_path):
    vis = make_visualizer('vis_titles')
    image = np.full((H, W, 3), 100, np.uint8)
    mosaic = vis.draw_multitask_mosaic(image, make_sample(('depth', )))
    # White title text on a black band in the top-left corner of each tile.
    for row in (0, 1):
        for col in (0, 1):
            band = tile(mosaic, row, col)[:8]
            assert band.max() > 200 and (band == 0).any()


def test_class_names_only_on_large_images():
    vis = make_visualizer('vis_labels')
    image = make_image()
    sample = make_sample(('semseg', ))
    np.testing.assert_array_equal(
        vis.draw_multitask_mosaic(image, sample, with_labels=True),
        vis.draw_multitask_mosaic(image, sample, with_labels=False))
    size = vis.min_label_size
    big = np.full((size, size, 3), 100, np.uint8)
    big_sample = MultiTaskDataSample()
    big_sample.set_task_gt('semseg', torch.full((1, size, size), 3))
    labelled = vis.draw_multitask_mosaic(big, big_sample, with_labels=True)
    plain = vis.draw_multitask_mosaic(big, big_sample, with_labels=False)
    assert labelled.shape == plain.shape == (size, 2 * size, 3)
    # 'c3' is written on the class tile only.
    assert (labelled[:, size:] != plain[:, size:]).any()
    np.testing.assert_array_equal(labelled[:, :size], plain[:, :size])


def test_task_order_follows_task_table_and_metainfo():
    vis = make_visualizer('vis_order')
    image = make_image()
    sample = MultiTaskDataSample()
    sample.set_task_gt('depth', torch.full((1, H, W), 1.0))
    sample.set_task_gt('sal', torch.zeros((1, H, W), dtype=torch.long))
    mosaic = vis.draw_multitask_mosaic(image, sample)
    assert mosaic.shape == (H, 3 * W, 3)
    assert (tile(mosaic, 0, 1)[PY, PX] == 0).all()  # sal first (TASKS)
    assert (tile(mosaic, 0, 2)[PY, PX] != 0).any()  # then depth

    sample.set_metainfo(dict(tasks=('depth', )))
    assert vis.draw_multitask_mosaic(image, sample).shape == (H, 2 * W, 3)


def test_rows_follow_draw_flags_and_missing_maps():
    vis = make_visualizer('vis_rows')
    image = make_image()
    sample = make_sample()
    assert vis.draw_multitask_mosaic(
        image, sample, draw_pred=False).shape == (H, 6 * W, 3)
    pred_only = vis.draw_multitask_mosaic(image, sample, draw_gt=False)
    assert pred_only.shape == (H, 6 * W, 3)
    assert pred_only[PY, W + PX].tolist() == blend(image[PY, PX],
                                                   SEMSEG_PALETTE[5]).tolist()

    no_pred = make_sample(('sal', 'normals'), with_pred=False)
    no_pred.set_task_pred('sal', torch.full((1, H, W), 1.0))
    mosaic = vis.draw_multitask_mosaic(image, no_pred)
    assert mosaic.shape == (2 * H, 3 * W, 3)
    assert (tile(mosaic, 1, 2)[16:] == 0).all()  # normals pred: n/a tile


def test_maps_are_resized_to_the_image():
    vis = make_visualizer('vis_resize')
    image = make_image()
    sample = MultiTaskDataSample()
    small = torch.zeros((1, H // 2, W // 2))
    small[0, -1, -1] = 1.0
    sample.set_task_pred('sal', small)
    mosaic = vis.draw_multitask_mosaic(image, sample)
    assert mosaic.shape == (H, 2 * W, 3)
    sal = tile(mosaic, 0, 1)
    assert (sal[H - 2:, W - 2:] == 255).all()
    assert (sal[H - 3, W - 3] == 0).all()


def test_add_image_saves_through_vis_backends(tmp_path):
    vis = make_visualizer(
        'vis_backend',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    vis.add_datasample('val_img.jpg', make_image(), make_sample(), step=3)
    path = tmp_path / 'vis_data' / 'vis_image' / 'val_img.jpg_3.png'
    assert path.is_file()
    assert read_rgb(str(path)).shape == (2 * H, 6 * W, 3)


def test_plain_seg_data_sample_uses_parent(tmp_path):
    vis = make_visualizer('vis_plain')
    image = make_image()
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.full((1, H, W), 3))
    sample.pred_sem_seg = PixelData(data=torch.full((1, H, W), 5))
    out = str(tmp_path / 'plain.png')
    vis.add_datasample('plain', image, sample, out_file=out, with_labels=False)
    drawn = read_rgb(out)
    assert drawn.shape == (H, 2 * W, 3)  # parent: GT | pred
    assert drawn[PY, PX].tolist() == blend(image[PY, PX],
                                           SEMSEG_PALETTE[3]).tolist()
    assert drawn[PY, W + PX].tolist() == blend(image[PY, PX],
                                               SEMSEG_PALETTE[5]).tolist()


def test_center_loc_matches_parent():
    vis = make_visualizer('vis_center')
    parent = SegLocalVisualizer(name='vis_center_parent')
    rng = np.random.RandomState(1)
    for _ in range(20):
        mask = (rng.rand(9, 11) < 0.3).astype(np.uint8)
        mask[rng.randint(9), rng.randint(11)] = 1
        np.testing.assert_array_equal(
            vis._get_center_loc(mask), parent._get_center_loc(mask))


def test_bad_input_raises():
    vis = make_visualizer('vis_errors')
    image = make_image()
    sample = MultiTaskDataSample()
    sample.set_task_gt('normals', torch.zeros((1, H, W)))
    with pytest.raises(
            ValueError, match=r"'gt_normals' must have shape "
            r'\(3, H, W\)'):
        vis.draw_multitask_mosaic(image, sample)
    with pytest.raises(ValueError, match='H x W x 3 RGB'):
        vis.draw_multitask_mosaic(image[..., 0], make_sample())
    with pytest.raises(ValueError, match='nothing to draw'):
        vis.draw_multitask_mosaic(
            image, make_sample(with_pred=False), draw_gt=False)
    bad_tasks = make_sample(('sal', ))
    bad_tasks.set_metainfo(dict(tasks=('sal', 'optical_flow')))
    with pytest.raises(KeyError, match="unknown task 'optical_flow'"):
        vis.draw_multitask_mosaic(image, bad_tasks)


def test_default_runtime_uses_it(tmp_path):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    vis = VISUALIZERS.build(
        dict(cfg.visualizer, name='vis_runtime', save_dir=str(tmp_path)))
    assert isinstance(vis, MultiTaskLocalVisualizer)
