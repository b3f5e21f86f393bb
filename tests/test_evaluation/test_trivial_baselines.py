"""Trivial baselines on a hand-made NYUD tree and on the demo PASCAL set."""
import importlib.util
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmvmt.datasets.pascal_mt_conversion import convert_pascal_mt
from mmvmt.evaluation import evaluate_trivial_baselines
from mmvmt.tasks import get_task
from mmvmt.testing.demo_data import generate_pascal_mt

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Hand-made 2x2 NYUD maps. Segmentation png codes are class + 1 (0 is
#: unlabelled); the class subset ('wall', 'floor', 'cabinet') keeps ids
#: 0, 1, 2.
N = (0., 0., 1.)  # facing the camera
U = (0., 1., 0.)  # up
R = (1., 0., 0.)  # right
Z = (0., 0., 0.)  # invalid
IMAGES = dict(
    a=dict(
        seg=[[2, 2], [2, 1]],
        depth=[[1., 2.], [3., 0.]],
        normals=[[N, N], [U, Z]]),
    b=dict(
        seg=[[1, 3], [2, 0]],
        depth=[[3., 4.], [5., 6.]],
        normals=[[U, N], [U, R]]),
    c=dict(
        seg=[[2, 1], [2, 3]],
        depth=[[2., 3.], [0., 8.]],
        normals=[[N, N], [U, N]]),
)
SPLITS = dict(train=['a', 'b'], val=['c'])
CLASSES = ('wall', 'floor', 'cabinet')


@pytest.fixture
def nyud_cfg(tmp_path):
    root = str(tmp_path / 'NYUD_MT')
    for folder in ('images', 'segmentation', 'depth', 'normals', 'gt_sets'):
        os.makedirs(osp.join(root, folder))
    for name, maps in IMAGES.items():
        cv2.imwrite(
            osp.join(root, 'images', name + '.jpg'),
            np.zeros((2, 2, 3), np.uint8))
        cv2.imwrite(
            osp.join(root, 'segmentation', name + '.png'),
            np.array(maps['seg'], np.uint8))
        np.save(
            osp.join(root, 'depth', name + '.npy'),
            np.array(maps['depth'], np.float32))
        np.save(
            osp.join(root, 'normals', name + '.npy'),
            np.array(maps['normals'], np.float32))
    for split, names in SPLITS.items():
        with open(osp.join(root, 'gt_sets', split + '.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')
    dataset = dict(
        type='NYUDv2MTDataset',
        data_root=root,
        tasks=('semseg', 'depth', 'normals'),
        metainfo=dict(classes=CLASSES),
        # Replaced by annotation loading: images are never read.
        pipeline=[dict(type='LoadImageFromFile')])
    return Config(
        dict(
            default_scope='mmseg',
            train_dataloader=dict(dataset=dict(dataset, split='train')),
            val_dataloader=dict(dataset=dict(dataset, split='val')),
            # A baseline from other data: no delta_m for trivial predictors.
            val_evaluator=dict(
                type='MultiTaskMetric', baseline=dict(semseg=50.))))


def _keys(tasks):
    return {
        f'{task}/{name}'
        for task in tasks
        for name in get_task(task).higher_is_better
    }


def test_hand_made_nyud(nyud_cfg):
    out = evaluate_trivial_baselines(nyud_cfg)
    assert set(out) == {'trivial_train', 'trivial_val'}
    val, train = out['trivial_val'], out['trivial_train']
    assert set(val) == set(train) == _keys(('semseg', 'depth', 'normals'))
    # Majority training class: floor (4 pixels; wall 2, cabinet 1). On c:
    # floor IoU 2 / 4, wall and cabinet 0.
    assert val['semseg/mIoU'] == pytest.approx(100 * 0.5 / 3)
    assert val['semseg/aAcc'] == pytest.approx(50.)
    # Depth prior per pixel: [[2, 3], [4, 6]]; c's valid errors 0, 0, 2.
    assert val['depth/rmse'] == pytest.approx(math.sqrt(4 / 3), rel=1e-6)
    # On the training maps: errors 1 (six pixels) and 0 (b's last pixel).
    assert train['depth/rmse'] == pytest.approx(math.sqrt(6 / 7), rel=1e-6)
    # Normals prior per pixel: [[(0, .71, .71), N], [U, R]] (a's last
    # pixel is invalid, so R is b's alone); c's errors 45, 0, 0, 90 deg.
    assert val['normals/mean'] == pytest.approx(33.75, abs=1e-3)
    assert val['normals/rmse'] == pytest.approx(
        math.sqrt((45**2 + 90**2) / 4), abs=1e-3)
    assert val['normals/11.25'] == pytest.approx(50.)
    # Training majority over train itself: a floor 3 / 4, b 1 / 3 valid.
    assert train['semseg/aAcc'] == pytest.approx(100 * 4 / 7)


def test_no_training_pixel_is_an_error(nyud_cfg, tmp_path):
    root = nyud_cfg.train_dataloader.dataset.data_root
    for name in SPLITS['train']:
        np.save(
            osp.join(root, 'depth', name + '.npy'), np.zeros((2, 2),
                                                             np.float32))
    with pytest.raises(ValueError, match='depth: no valid training pixel'):
        evaluate_trivial_baselines(nyud_cfg)


def test_demo_pascal_by_hand(tmp_path):
    """All-background mIoU and all-zero saliency, recounted by hand."""
    root = str(tmp_path / 'PASCAL_MT')
    labels = generate_pascal_mt(
        root, num_train=4, num_val=4, size=(64, 80), return_labels=True)
    convert_pascal_mt(root, progress=False)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'vmt', 'swin-t_pascal_demo.py'))
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = root
    val = evaluate_trivial_baselines(cfg)['trivial_val']
    assert set(val) == _keys(('semseg', 'human_parts', 'sal', 'normals'))
    val_labels = [v for v in labels.values() if v['split'] == 'val']
    parts = np.concatenate([v['human_parts'].ravel() for v in val_labels])
    parts = parts[parts != 255]
    # Background predicted everywhere: IoU_bg = #bg / #valid, others 0.
    assert val['human_parts/mIoU'] == pytest.approx(
        100 * (parts == 0).mean() / 7, rel=1e-6)
    # Saliency 0: an image scores 1 only if it has no salient pixel.
    empty = [not (v['sal'] == 1).any() for v in val_labels]
    assert val['sal/mIoU'] == pytest.approx(100 * np.mean(empty))


def _demo_summary():
    path = osp.join(REPO, 'demo', 'demo_summary.py')
    spec = importlib.util.spec_from_file_location('mmvmt_demo_summary', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_summary_rows():
    """One row per task's primary metric; the ratio follows the direction."""
    rows = _demo_summary().summary_rows(
        {
            'semseg/mIoU': 30.,
            'semseg/aAcc': 90.,
            'normals/mean': 10.,
            'sal/mIoU': 60.
        }, {
            'semseg/mIoU': 10.,
            'semseg/aAcc': 80.,
            'normals/mean': 25.,
            'sal/mIoU': 0.
        })
    assert [r[0].split()[0]
            for r in rows] == ['semseg/mIoU', 'normals/mean', 'sal/mIoU']
    assert [r[3] for r in rows] == ['3.0x', '2.5x', 'n/a']
