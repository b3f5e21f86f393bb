"""PackMultiTaskInputs: one (C, H, W) PixelData per task, right dtypes."""
import numpy as np
import pytest
import torch
from mmseg.registry import TRANSFORMS

from mmvmt.datasets.transforms.formatting import PackMultiTaskInputs
from mmvmt.structures import MultiTaskDataSample

H, W = 6, 8


def make_results(tasks=('semseg', 'sal', 'normals', 'depth')) -> dict:
    """Results with a distinct, coordinate-dependent value in every map."""
    rng = np.random.default_rng(0)
    results = dict(
        img=rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
        img_path='imgs/0001.jpg',
        ori_shape=(H, W),
        img_shape=(H, W),
        scale_factor=(1.0, 1.0),
        flip=False,
        flip_direction=None,
        reduce_zero_label=False,
        tasks=tuple(tasks),
        seg_fields=[],
        sample_idx=3)
    maps = dict(
        semseg=rng.integers(0, 21, (H, W), dtype=np.uint8),
        sal=rng.integers(0, 2, (H, W), dtype=np.uint8),
        normals=rng.uniform(-1, 1, (H, W, 3)).astype(np.float32),
        depth=rng.uniform(0.5, 10, (H, W)).astype(np.float32))
    maps['semseg'][0, 0] = 255
    maps['normals'][1, 2] = 0  # invalid: the zero vector
    for task in tasks:
        results[f'gt_{task}'] = maps[task]
        results['seg_fields'].append(f'gt_{task}')
    return results


def test_pack_shapes_dtypes_and_values():
    results = make_results()
    pack = TRANSFORMS.build(dict(type='PackMultiTaskInputs'))
    assert isinstance(pack, PackMultiTaskInputs)
    packed = pack(dict(results))

    inputs = packed['inputs']
    assert inputs.shape == (3, H, W) and inputs.dtype == torch.uint8
    assert inputs.is_contiguous()
    torch.testing.assert_close(
        inputs,
        torch.from_numpy(results['img']).permute(2, 0, 1))

    sample = packed['data_samples']
    assert isinstance(sample, MultiTaskDataSample)
    expected = dict(
        semseg=(1, torch.int64),
        sal=(1, torch.int64),
        normals=(3, torch.float32),
        depth=(1, torch.float32))
    for task, (channels, dtype) in expected.items():
        gt = sample.task_gt(task)
        assert gt.shape == (channels, H, W), task
        assert gt.dtype == dtype, task
        assert gt.is_contiguous()
    # HxWx3 -> 3xHxW: channel c of pixel (y, x) is results[y, x, c]
    normals = sample.task_gt('normals')
    for c in range(3):
        np.testing.assert_array_equal(normals[c].numpy(),
                                      results['gt_normals'][..., c])
    assert (normals[:, 1, 2] == 0).all()
    np.testing.assert_array_equal(
        sample.task_gt('semseg')[0].numpy(), results['gt_semseg'])
    assert sample.task_gt('semseg')[0, 0, 0] == 255
    np.testing.assert_array_equal(
        sample.task_gt('depth')[0].numpy(), results['gt_depth'])

    meta = sample.metainfo
    assert meta['tasks'] == ('semseg', 'sal', 'normals', 'depth')
    assert meta['img_path'] == 'imgs/0001.jpg'
    assert meta['ori_shape'] == (H, W) and meta['flip'] is False
    assert 'sample_idx' not in meta and 'seg_fields' not in meta


def test_pack_only_requested_tasks():
    results = make_results()
    results['tasks'] = ('depth', )
    sample = PackMultiTaskInputs()(results)['data_samples']
    gt_keys = sorted(k for k in sample.keys() if k.startswith('gt_'))
    assert gt_keys == ['gt_depth']


def test_pack_missing_gt_names_task_and_image():
    results = make_results(('semseg', 'depth'))
    del results['gt_depth']
    with pytest.raises(KeyError, match=r"depth.*imgs/0001\.jpg"):
        PackMultiTaskInputs()(results)


def test_pack_without_any_gt_for_inference():
    results = make_results(())
    results['tasks'] = ('semseg', 'normals')
    packed = PackMultiTaskInputs()(results)
    sample = packed['data_samples']
    assert not [k for k in sample.keys() if k.startswith('gt_')]
    assert sample.metainfo['tasks'] == ('semseg', 'normals')
    assert packed['inputs'].shape == (3, H, W)


def test_pack_rejects_wrong_shape_and_unknown_task():
    results = make_results(('normals', ))
    results['gt_normals'] = results['gt_normals'][..., 0]
    with pytest.raises(ValueError, match=r'gt_normals.*HxWx3'):
        PackMultiTaskInputs()(results)
    results = make_results(('semseg', ))
    results['tasks'] = ('semseg', 'segsem')
    with pytest.raises(KeyError, match='segsem'):
        PackMultiTaskInputs()(results)
