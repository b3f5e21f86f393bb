"""PascalContextMTDataset / NYUDv2MTDataset on the generated demo trees."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.facts import human_parts_classes, nyud_classes, voc_classes
from mmvmt.tasks import get_task

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Sizes of the demo fixture (see conftest.py).
NUM_TRAIN, NUM_VAL = 8, 4


@pytest.fixture(autouse=True)
def _check_fixture_sizes(demo):
    splits = [lab['split'] for lab in demo[1]['NYUD_MT'].values()]
    assert (splits.count('train'), splits.count('val')) == (NUM_TRAIN, NUM_VAL)


def _copy(demo, name, tmp_path):
    dst = str(tmp_path / name)
    shutil.copytree(osp.join(demo[0], name), dst)
    return dst


def test_pascal_lists_demo(demo):
    root = osp.join(demo[0], 'PASCAL_MT')
    train = PascalContextMTDataset(root, split='train')
    val = PascalContextMTDataset(root, split='val', test_mode=True)
    assert (len(train), len(val)) == (NUM_TRAIN, NUM_VAL)
    assert train.tasks == ('semseg', 'human_parts', 'sal', 'normals')
    info = train.get_data_info(0)
    img_id = '2008_000000'
    assert info['img_path'] == osp.join(root, 'JPEGImages', img_id + '.jpg')
    assert info['semseg_path'] == osp.join(root, 'semseg', 'VOC12',
                                           img_id + '.png')
    assert info['human_parts_path'] == osp.join(root, 'human_parts_png',
                                                img_id + '.png')
    assert info['sal_path'] == osp.join(root, 'sal_distill', img_id + '.png')
    assert info['normals_path'] == osp.join(root, 'normals_png',
                                            img_id + '.png')
    assert info['ann_decoders'] == dict(
        semseg='class_png',
        human_parts='class_png',
        sal='binary_png_threshold',
        normals='normals_png')
    assert info['tasks'] == train.tasks and info['seg_fields'] == []
    assert info['reduce_zero_label'] is False and info['sample_idx'] == 0
    assert 'edge_path' not in info
    # Image 4 has its semseg only in semseg/pascal-context (fallback).
    assert train.get_data_info(4)['semseg_path'] == osp.join(
        root, 'semseg', 'pascal-context', '2009_000004.png')
    # Val ids follow the train ids, in split-file order.
    assert osp.basename(val.get_data_info(0)['img_path']) == \
        f'{2008 + NUM_TRAIN % 3}_{NUM_TRAIN:06d}.jpg'
    meta = train.metainfo
    assert meta['classes'] == voc_classes()
    assert meta['task_classes']['human_parts'] == human_parts_classes()
    assert meta['task_classes']['semseg'] == voc_classes()
    assert meta['tasks'] == train.tasks
    assert len(
        meta['palette']) == 21 and meta['palette'][15] == [192, 128, 128]
    assert meta['task_palettes']['semseg'] == \
        PascalVOCDataset.METAINFO['palette']
    assert meta['task_palettes']['human_parts'][:3] == [[0, 0, 0], [128, 0, 0],
                                                        [0, 128, 0]]


def test_nyud_lists_demo(demo):
    root = osp.join(demo[0], 'NYUD_MT')
    ds = NYUDv2MTDataset(root, split='val', tasks=['depth', 'edge'])
    assert len(ds) == NUM_VAL
    assert len(NYUDv2MTDataset(root)) == NUM_TRAIN
    info = ds.get_data_info(1)
    img_id = f'{NUM_TRAIN + 1:04d}'
    assert info['img_path'] == osp.join(root, 'images', img_id + '.jpg')
    assert info['depth_path'] == osp.join(root, 'depth', img_id + '.npy')
    assert info['edge_path'] == osp.join(root, 'edge', img_id + '.npy')
    assert info['ann_decoders'] == dict(depth='depth_npy', edge='binary_npy')
    assert info['tasks'] == ('depth', 'edge')
    assert ds.metainfo['classes'] == nyud_classes()
    assert ds.metainfo['task_classes'] == dict(semseg=nyud_classes())
    palette = ds.metainfo['task_palettes']['semseg']
    assert set(ds.metainfo['task_palettes']) == {'semseg'}
    assert ds.metainfo['palette'] == palette  # mmseg's key agrees
    assert palette[:2] == [[128, 0, 0], [0, 128, 0]]  # no black: 0 = wall
    assert NYUDv2MTDataset(root).tasks == ('semseg', 'depth', 'normals')


@pytest.mark.parametrize('ds_cls, folder',
                         [(PascalContextMTDataset, 'PASCAL_MT'),
                          (NYUDv2MTDataset, 'NYUD_MT')])
def test_task_palettes_cover_every_class_task(demo, ds_cls, folder):
    """One distinct RGB triple per class, for every class task."""
    ds = ds_cls(osp.join(demo[0], folder))
    classes = ds.metainfo['task_classes']
    palettes = ds.metainfo['task_palettes']
    class_tasks = {t for t in ds_cls.TASK_ANNS if get_task(t).is_class_map}
    assert set(classes) == set(palettes) == class_tasks
    for task, palette in palettes.items():
        assert len(palette) == len(classes[task])
        assert len({tuple(c) for c in palette}) == len(palette)
        assert all(
            len(c) == 3 and all(
                isinstance(v, int) and 0 <= v <= 255 for v in c)
            for c in palette)


def test_palette_must_match_the_classes(demo):
    root = osp.join(demo[0], 'NYUD_MT')
    with pytest.raises(
            ValueError,
            match=r"task_palettes\['semseg'\] has 2 "
            'colours for 40 classes'):
        NYUDv2MTDataset(
            root, metainfo=dict(task_palettes=dict(semseg=[[0, 0, 0]] * 2)))
    with pytest.raises(ValueError, match="class task 'human_parts'"):
        PascalContextMTDataset(
            osp.join(demo[0], 'PASCAL_MT'),
            metainfo=dict(task_palettes=dict(semseg=[[0, 0, 0]] * 21)))


def test_task_errors(demo):
    root = osp.join(demo[0], 'PASCAL_MT')
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        PascalContextMTDataset(root, tasks=('segm', ))
    with pytest.raises(
            ValueError,
            match=r"PascalContextMTDataset does not provide "
            r"task\(s\) \['depth'\]"):
        PascalContextMTDataset(root, tasks=('semseg', 'depth'))
    with pytest.raises(ValueError, match=r"\['human_parts', 'sal'\]"):
        NYUDv2MTDataset(
            osp.join(demo[0], 'NYUD_MT'), tasks=('human_parts', 'sal'))
    # Class subsets are supported (tests/test_datasets/test_class_subsets);
    # a name the dataset does not have is refused.
    with pytest.raises(ValueError, match="'cat-dog'.*not semseg classes"):
        PascalContextMTDataset(
            root, metainfo=dict(classes=('background', 'cat-dog')))


def test_missing_files(demo, tmp_path):
    with pytest.raises(FileNotFoundError, match='data_root .*nowhere'):
        NYUDv2MTDataset(str(tmp_path / 'nowhere'))
    with pytest.raises(
            FileNotFoundError,
            match=r"split file .*gt_sets/test\.txt of split "
            r"'test'"):
        NYUDv2MTDataset(osp.join(demo[0], 'NYUD_MT'), split='test')
    nyud = _copy(demo, 'NYUD_MT', tmp_path)
    os.remove(osp.join(nyud, 'depth', '0002.npy'))
    NYUDv2MTDataset(nyud, tasks=('semseg', ))  # depth not requested
    with pytest.raises(
            FileNotFoundError,
            match=r"depth annotation of image '0002' .*"
            r'depth/0002\.npy'):
        NYUDv2MTDataset(nyud)
    os.remove(osp.join(nyud, 'images', '0001.jpg'))
    with pytest.raises(FileNotFoundError, match=r'images/0001\.jpg'):
        NYUDv2MTDataset(nyud, tasks=('semseg', ))
    with open(osp.join(nyud, 'gt_sets', 'val.txt'), 'w') as f:
        f.write('\n\n')
    with pytest.raises(ValueError, match='lists no images'):
        NYUDv2MTDataset(nyud, split='val')
    # Neither semseg/VOC12 nor semseg/pascal-context has the image.
    pascal = _copy(demo, 'PASCAL_MT', tmp_path)
    os.remove(osp.join(pascal, 'semseg', 'VOC12', '2008_000000.png'))
    with pytest.raises(
            FileNotFoundError,
            match=r'VOC12/2008_000000\.png and .*pascal-context/'
            r'2008_000000\.png'):
        PascalContextMTDataset(pascal, tasks=('semseg', ))


def test_unconverted_tree(demo_raw, demo, tmp_path):
    root = osp.join(demo_raw[0], 'PASCAL_MT')
    # Tasks read from raw files need no conversion.
    assert len(PascalContextMTDataset(root, tasks=('semseg', 'sal'))) == \
        NUM_TRAIN
    for task in ('human_parts', 'normals', 'edge'):
        with pytest.raises(FileNotFoundError) as err:
            PascalContextMTDataset(root, tasks=('semseg', task))
        msg = str(err.value)
        assert 'has not been converted' in msg
        assert ('Run once: python tools/dataset_converters/pascal_mt.py '
                f'{root}') in msg
    # Partly converted: the missing file and the command are named.
    pascal = _copy(demo, 'PASCAL_MT', tmp_path)
    os.remove(osp.join(pascal, 'normals_png', '2009_000001.png'))
    with pytest.raises(
            FileNotFoundError,
            match=r'normals_png/2009_000001\.png.*'
            r'normals_distill/2009_000001\.png.*re-run: python '
            r'tools/dataset_converters/pascal_mt\.py'):
        PascalContextMTDataset(pascal)


def test_corrupt_image(demo, tmp_path):
    pascal = _copy(demo, 'PASCAL_MT', tmp_path)
    bad = osp.join(pascal, 'JPEGImages', '2008_000000.jpg')
    with open(bad, 'wb') as f:
        f.write(b'\xff\xd8 not really a jpeg')
    ds = PascalContextMTDataset(
        pascal, tasks=('sal', ), pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(AssertionError, match=bad):
        LoadImageFromFile()(ds.get_data_info(0))
    with pytest.raises(AssertionError, match=bad):
        ds[0]


@pytest.mark.parametrize('name,n_gt', [('pascal_context_mt_demo', 4),
                                       ('nyud_mt_demo', 3)])
def test_demo_configs(demo, name, n_gt):
    """The dataset configs build and run their pipelines on demo data."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', f'{name}.py'))
    real = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', f'{name[:-5]}.py'))
    assert real.train_dataloader.batch_size == 8
    assert real.train_dataloader.sampler.type == 'InfiniteSampler'
    assert real.val_dataloader.batch_size == 1
    assert real.val_evaluator.type == 'MultiTaskMetric'
    # The evaluator reads the task list from the dataset.
    for key in ('train_dataloader', 'val_dataloader'):
        assert tuple(real[key].dataset.tasks) == tuple(real.tasks)
    # The demo has no literature baseline (no delta_m on other data).
    assert cfg.val_evaluator == dict(real.val_evaluator, baseline=None) \
        if 'baseline' in real.val_evaluator else real.val_evaluator
    assert not cfg.val_evaluator.get('baseline')
    folder = 'PASCAL_MT' if 'pascal' in name else 'NYUD_MT'
    # The repository's data/demo, wherever the config is read from.
    assert osp.normpath(cfg.train_dataloader.dataset.data_root) == osp.join(
        REPO, 'data', 'demo', folder)
    for key, crop in (('train_dataloader', cfg.crop_size), ('test_dataloader',
                                                            None)):
        ds_cfg = cfg[key].dataset.copy()
        ds_cfg.data_root = osp.join(demo[0], folder)
        ds = DATASETS.build(ds_cfg)
        out = ds[0]
        sample = out['data_samples']
        gts = [k for k in sample.keys() if k.startswith('gt_')]
        assert len(gts) == n_gt
        if crop is not None:  # (smaller when the random scale is small)
            hw = tuple(out['inputs'].shape[1:])
            assert hw[0] <= crop[0] and hw[1] <= crop[1]
            assert all(tuple(sample.get(k).shape) == hw for k in gts)
        else:  # ground truth at the original resolution
            assert all(tuple(sample.get(k).shape) == (128, 160) for k in gts)
        assert np.isin(sample.gt_semseg.data.numpy(),
                       list(range(40)) + [255]).all()
