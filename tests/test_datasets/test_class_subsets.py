"""Semseg class subsets (mmseg's ``metainfo=dict(classes=...)``) and the
demo configs, which declare the classes the demo scenes use."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.facts import voc_classes
from mmvmt.datasets.transforms.loading import (LoadMultiTaskAnnotations,
                                               apply_label_map)
from mmvmt.evaluation import MultiTaskMetric
from mmvmt.structures import MultiTaskDataSample
from mmvmt.testing.demo_data import demo_semseg_classes
from mmvmt.visualization.local_visualizer import class_names_and_palette

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VOC = {name: i for i, name in enumerate(voc_classes())}
VOC_PALETTE = PascalVOCDataset.METAINFO['palette']
#: A subset out of VOC order: the new ids are the positions here.
SUBSET = ('person', 'background', 'car')


def _expected(sem: np.ndarray, old_ids) -> np.ndarray:
    """Hand remap: old id ``old_ids[k]`` -> k, everything else -> 255."""
    out = np.full(sem.shape, 255, np.uint8)
    for new, old in enumerate(old_ids):
        out[sem == old] = new
    return out


def _load_all(ds):
    """Decoded ground truth of every image of ``ds``, by image id."""
    load = LoadMultiTaskAnnotations()
    out = {}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        out[osp.basename(info['img_path'])[:-4]] = load(dict(info))
    return out


def test_pascal_subset_meta(demo):
    ds = PascalContextMTDataset(
        osp.join(demo[0], 'PASCAL_MT'), metainfo=dict(classes=SUBSET))
    expected_map = {i: 255 for i in range(21)}
    expected_map.update({15: 0, 0: 1, 7: 2})
    assert ds.label_map == expected_map
    meta = ds.metainfo
    assert meta['classes'] == SUBSET
    assert meta['task_classes']['semseg'] == SUBSET
    # Other class tasks keep their classes.
    default = PascalContextMTDataset(osp.join(demo[0], 'PASCAL_MT')).metainfo
    assert meta['task_classes']['human_parts'] == \
        default['task_classes']['human_parts']
    assert meta['task_palettes']['human_parts'] == \
        default['task_palettes']['human_parts']
    palette = [VOC_PALETTE[15], VOC_PALETTE[0], VOC_PALETTE[7]]
    assert meta['task_palettes']['semseg'] == palette == meta['palette']
    assert meta['label_map'] == expected_map
    assert ds.get_data_info(0)['label_map'] == expected_map
    # The visualiser draws the subset's names and colours.
    names, colours = class_names_and_palette(meta, 'semseg', 3)
    assert names == list(SUBSET)
    assert colours == [tuple(c) for c in palette]


def test_pascal_subset_remaps_labels(demo):
    root, labels = demo
    tasks = ('semseg', 'human_parts')
    ds = PascalContextMTDataset(
        osp.join(root, 'PASCAL_MT'),
        tasks=tasks,
        metainfo=dict(classes=SUBSET))
    dropped = 0
    for img_id, res in _load_all(ds).items():
        lab = labels['PASCAL_MT'][img_id]
        sem = lab['semseg']
        gt = res['gt_semseg']
        assert gt.dtype == np.uint8
        assert np.array_equal(gt, _expected(sem, [VOC[c] for c in SUBSET]))
        assert (gt[sem == 255] == 255).all()
        kept = np.isin(sem, [VOC[c] for c in SUBSET])
        assert (gt[~kept] == 255).all()  # dropped classes -> ignore
        dropped += int((~kept & (sem != 255)).sum())
        # The map applies to semseg only.
        assert np.array_equal(res['gt_human_parts'], lab['human_parts'])
    assert dropped > 0  # the fixture has pixels of dropped classes


def test_nyud_subset_after_zero_reduction(demo):
    """The map renumbers the decoded ids (0 = wall), not the png's."""
    root, labels = demo
    ds = NYUDv2MTDataset(
        osp.join(root, 'NYUD_MT'),
        tasks=('semseg', ),
        metainfo=dict(classes=('floor', 'wall')))
    assert ds.metainfo['task_classes'] == dict(semseg=('floor', 'wall'))
    assert len(ds.metainfo['task_palettes']['semseg']) == 2
    for img_id, res in _load_all(ds).items():
        sem = labels['NYUD_MT'][img_id]['semseg']  # 0..39, 255
        assert np.array_equal(res['gt_semseg'], _expected(sem, [1, 0]))


def test_reordered_full_list_reorders_the_palette(demo):
    """All 21 classes reversed: a permutation, palette included."""
    classes = voc_classes()[::-1]
    ds = PascalContextMTDataset(
        osp.join(demo[0], 'PASCAL_MT'), metainfo=dict(classes=classes))
    assert ds.label_map == {i: 20 - i for i in range(21)}
    assert ds.metainfo['task_classes']['semseg'] == classes
    assert ds.metainfo['task_palettes']['semseg'] == VOC_PALETTE[::-1]
    assert ds.metainfo['palette'] == VOC_PALETTE[::-1]
    # A palette given with the classes is kept.
    given = [[i, i, i] for i in range(3)]
    ds = PascalContextMTDataset(
        osp.join(demo[0], 'PASCAL_MT'),
        metainfo=dict(classes=SUBSET, palette=given))
    assert ds.metainfo['task_palettes']['semseg'] == given


@pytest.mark.parametrize('classes', [voc_classes(), list(voc_classes())])
def test_full_class_list_is_unchanged(demo, classes):
    root = osp.join(demo[0], 'PASCAL_MT')
    default = PascalContextMTDataset(root)
    full = PascalContextMTDataset(root, metainfo=dict(classes=classes))
    assert full.label_map is None
    assert full.metainfo['task_classes'] == default.metainfo['task_classes']
    assert full.metainfo['task_palettes'] == \
        default.metainfo['task_palettes']
    assert full.metainfo['palette'] == default.metainfo['palette']
    for i in range(len(default)):
        assert full.get_data_info(i) == default.get_data_info(i)
        assert 'label_map' not in full.get_data_info(i)
    a, b = _load_all(default), _load_all(full)
    for img_id in a:
        for key in ('gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals'):
            assert a[img_id][key].dtype == b[img_id][key].dtype
            assert a[img_id][key].tobytes() == b[img_id][key].tobytes()


def test_bad_subsets(demo):
    root = osp.join(demo[0], 'PASCAL_MT')
    with pytest.raises(
            ValueError,
            match=r"classes \['cat-dog', 'wall'\] are not semseg classes of "
            r"PascalContextMTDataset; its classes are \['background', "
            r"'aeroplane'.*'tvmonitor'\]"):
        PascalContextMTDataset(
            root, metainfo=dict(classes=('person', 'cat-dog', 'wall')))
    with pytest.raises(ValueError, match=r"lists \['car'\] more than once"):
        PascalContextMTDataset(
            root, metainfo=dict(classes=('car', 'person', 'car')))
    with pytest.raises(ValueError, match='classes is empty'):
        PascalContextMTDataset(root, metainfo=dict(classes=()))
    with pytest.raises(ValueError, match='list or tuple of class names'):
        PascalContextMTDataset(root, metainfo=dict(classes='person'))
    with pytest.raises(
            ValueError,
            match=r"NYUDv2MTDataset; its classes are "
            r"\['wall', 'floor'"):
        NYUDv2MTDataset(
            osp.join(demo[0], 'NYUD_MT'),
            metainfo=dict(classes=('background', )))


def test_apply_label_map():
    gt = np.array([[0, 1, 2], [3, 255, 1]], np.uint8)
    # A swap: each pixel is renumbered once, not chained.
    out = apply_label_map(gt, {0: 1, 1: 0, 2: 255})
    assert out.tolist() == [[1, 0, 255], [3, 255, 0]]
    assert gt.tolist() == [[0, 1, 2], [3, 255, 1]]  # input untouched
    assert apply_label_map(gt, {255: 255}).tolist() == gt.tolist()
    with pytest.raises(ValueError, match='renumbers the ignore id 255'):
        apply_label_map(gt, {255: 0})
    with pytest.raises(ValueError, match=r'ids must be in \[0, 255\]'):
        apply_label_map(gt, {0: 300})
    with pytest.raises(ValueError, match='uint8'):
        apply_label_map(gt.astype(np.int64), {0: 1})


def test_transform_applies_the_map_to_semseg_only(tmp_path):
    arr = np.array([[0, 1], [255, 1]], np.uint8)
    res = dict(tasks=('semseg', 'sal'), label_map={0: 1, 1: 0})
    for task in res['tasks']:
        path = str(tmp_path / f'{task}.png')
        cv2.imwrite(path, arr)
        res[f'{task}_path'] = path
    res['ann_decoders'] = dict(semseg='class_png', sal='binary_png')
    out = LoadMultiTaskAnnotations()(res)
    assert out['gt_semseg'].tolist() == [[1, 0], [255, 0]]
    assert out['gt_sal'].tolist() == arr.tolist()
    res['label_map'] = {255: 3}
    with pytest.raises(ValueError, match='renumbers the ignore id'):
        LoadMultiTaskAnnotations()(res)


def _semseg_sample(gt, pred) -> dict:
    sample = MultiTaskDataSample(metainfo=dict(img_path='x.jpg'))
    sample.set_task_gt('semseg', torch.tensor([gt]))
    sample.set_task_pred('semseg', torch.tensor([pred]))
    return sample.to_dict()


def test_metric_averages_over_the_subset(demo):
    """mIoU on a 3-class subset: the mean of 3 IoUs, by hand."""
    ds = PascalContextMTDataset(
        osp.join(demo[0], 'PASCAL_MT'),
        tasks=('semseg', ),
        metainfo=dict(classes=SUBSET))
    gt = [[0, 0, 1, 1], [2, 2, 255, 255]]
    pred = [[0, 1, 1, 1], [2, 0, 2, 0]]
    # Valid pixels: gt 0 0 1 1 2 2 vs pred 0 1 1 1 2 0.
    # class 0: TP 1, FP 1, FN 1 -> 1/3; class 1: TP 2, FP 1 -> 2/3;
    # class 2: TP 1, FN 1 -> 1/2. aAcc: 4 of 6.
    metric = MultiTaskMetric()
    metric.dataset_meta = ds.metainfo
    metric.process({}, [_semseg_sample(gt, pred)])
    res = metric.evaluate(1)
    assert res['semseg/mIoU'] == pytest.approx(
        (1 / 3 + 2 / 3 + 1 / 2) / 3 * 100)
    assert res['semseg/aAcc'] == pytest.approx(4 / 6 * 100)
    # The full class list would average the same IoUs over 21 classes.
    full = MultiTaskMetric()
    full.dataset_meta = PascalContextMTDataset(
        osp.join(demo[0], 'PASCAL_MT'), tasks=('semseg', )).metainfo
    full.process({}, [_semseg_sample(gt, pred)])
    assert full.evaluate(1)['semseg/mIoU'] == pytest.approx(
        (1 / 3 + 2 / 3 + 1 / 2) / 21 * 100)


# ------------------------------------------------------------ demo configs
DEMO_CONFIGS = [('pascal_context_mt_demo', 'pascal', 'PASCAL_MT'),
                ('nyud_mt_demo', 'nyud', 'NYUD_MT')]


@pytest.mark.parametrize('name,dataset,folder', DEMO_CONFIGS)
def test_demo_configs_declare_the_demo_classes(demo, name, dataset, folder):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', f'{name}.py'))
    classes = demo_semseg_classes(dataset)
    assert tuple(cfg.semseg_classes) == classes
    assert cfg.num_semseg_classes == len(classes)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert tuple(cfg[key].dataset.metainfo.classes) == classes
        ds_cfg = cfg[key].dataset.copy()
        ds_cfg.data_root = osp.join(demo[0], folder)
        ds = DATASETS.build(ds_cfg)
        assert ds.metainfo['task_classes']['semseg'] == classes
        sem = ds[0]['data_samples'].gt_semseg.data.numpy()
        assert np.isin(sem, list(range(len(classes))) + [255]).all()
