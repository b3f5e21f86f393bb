"""Task-aware geometric transforms keep every map aligned and correct.

The image encodes each pixel's source coordinates (channel 0 = x,
channel 1 = y) and every task map is a known function of the same
coordinates, so after any chain of nearest resizes, crops and flips the
expected value of every map at every pixel can be read back from the image.
"""
import math

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import TRANSFORMS

from mmvmt.datasets.transforms.transforms import (MultiTaskRandomFlip,
                                                  MultiTaskResize)

H, W = 24, 32
TASK_NAMES = ('semseg', 'sal', 'normals', 'depth')


@pytest.fixture(autouse=True)
def _mmseg_scope():
    """RandomResize builds its resize_type through the default scope."""
    init_default_scope('mmseg')


def make_results(h: int = H, w: int = W) -> dict:
    """Image and task maps that are all functions of pixel coordinates."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x, y, (x + y) % 7], axis=-1).astype(np.uint8)
    semseg = ((x + 2 * y) % 20).astype(np.uint8)
    semseg[(x * y) % 7 == 3] = 255
    sal = ((x // 4 + y // 3) % 2).astype(np.uint8)
    sal[(x + y) % 11 == 0] = 255
    nx = (x - w / 2 + 0.5) / w
    ny = (y + 1) / (2 * h)
    nz = np.sqrt(1 - nx**2 - ny**2)
    normals = np.stack([nx, ny, nz], axis=-1).astype(np.float32)
    normals[(x + y) % 5 == 0] = 0  # the zero vector: invalid
    normals[(x == 1) & (y == 2), 0] = 0  # x = 0 only: valid
    depth = (1 + x + 0.5 * y).astype(np.float32)
    depth[(x + 3 * y) % 6 == 0] = 0
    results = dict(
        img=img,
        img_shape=(h, w),
        ori_shape=(h, w),
        tasks=TASK_NAMES,
        img_path='demo.jpg',
        seg_fields=[])
    for name, gt in zip(TASK_NAMES, (semseg, sal, normals, depth)):
        results[f'gt_{name}'] = gt
        results['seg_fields'].append(f'gt_{name}')
    return results


def assert_aligned(results: dict, orig: dict, flipped: bool,
                   depth_scale: float) -> None:
    """Every map equals the original map at the image's source pixel."""
    x0 = results['img'][..., 0].astype(np.int64)
    y0 = results['img'][..., 1].astype(np.int64)
    for name in ('semseg', 'sal'):
        gt = results[f'gt_{name}']
        assert gt.dtype == np.uint8 and gt.shape == x0.shape
        np.testing.assert_array_equal(gt, orig[f'gt_{name}'][y0, x0])

    normals = results['gt_normals']
    assert normals.dtype == np.float32 and normals.shape == (*x0.shape, 3)
    expected = orig['gt_normals'][y0, x0].copy()
    valid = (expected != 0).any(-1)
    if flipped:
        expected[valid, 0] *= -1
    assert normals.tobytes() == expected.tobytes()

    depth = results['gt_depth']
    assert depth.dtype == np.float32 and depth.shape == x0.shape
    src = orig['gt_depth'][y0, x0]
    expected = np.where(src > 0, src / np.float32(depth_scale), 0)
    np.testing.assert_allclose(depth, expected, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(depth == 0, src == 0)


def geometric_mean(results: dict) -> float:
    w_scale, h_scale = results['scale_factor']
    return math.sqrt(w_scale * h_scale)


def test_flip_negates_valid_normal_x_only():
    orig = make_results()
    flip = TRANSFORMS.build(dict(type='MultiTaskRandomFlip', prob=1.0))
    assert isinstance(flip, MultiTaskRandomFlip)
    out = flip(make_results())
    assert out['flip'] and out['flip_direction'] == 'horizontal'

    ref = orig['gt_normals'][:, ::-1]
    invalid = (ref == 0).all(-1)
    valid = ~invalid
    normals = out['gt_normals']
    np.testing.assert_array_equal(normals[valid, 0], -ref[valid, 0])
    np.testing.assert_array_equal(normals[..., 1:], ref[..., 1:])
    # zero vectors are invalid: untouched (+0.0, not turned into -0.0)
    assert normals[invalid].tobytes() == ref[invalid].tobytes()
    assert invalid.sum() > 0
    # a valid normal with x = 0 is flipped (to -0.0) like any other
    x_zero = valid & (ref[..., 0] == 0)
    assert x_zero.sum() == 1 and np.signbit(normals[x_zero, 0]).all()
    for name in ('semseg', 'sal', 'depth'):
        np.testing.assert_array_equal(out[f'gt_{name}'],
                                      orig[f'gt_{name}'][:, ::-1])
    assert_aligned(out, orig, flipped=True, depth_scale=1.0)


def test_flip_twice_is_bit_exact_identity():
    orig = make_results()
    flip = MultiTaskRandomFlip(prob=1.0)
    out = flip(flip(make_results()))
    for key in ('img', *(f'gt_{t}' for t in TASK_NAMES)):
        assert out[key].dtype == orig[key].dtype
        assert out[key].tobytes() == orig[key].tobytes(), key


def test_no_flip_leaves_maps_unchanged():
    orig = make_results()
    out = MultiTaskRandomFlip(prob=0.0)(make_results())
    assert not out['flip']
    assert out['gt_normals'].tobytes() == orig['gt_normals'].tobytes()


def test_flip_refuses_vertical_with_normals():
    flip = MultiTaskRandomFlip(prob=1.0, direction=['horizontal', 'vertical'])
    with pytest.raises(ValueError, match=r"\['vertical'\].*gt_normals"):
        flip(make_results())
    # tasks whose values do not change may flip vertically
    results = make_results()
    results['seg_fields'].remove('gt_normals')
    out = MultiTaskRandomFlip(prob=1.0, direction='vertical')(results)
    orig = make_results()
    np.testing.assert_array_equal(out['gt_depth'], orig['gt_depth'][::-1])


def test_flip_refuses_swap_seg_labels():
    with pytest.raises(ValueError, match='swap_seg_labels'):
        MultiTaskRandomFlip(prob=0.5, swap_seg_labels=[(1, 2)])


def test_flip_rejects_wrong_normal_channels():
    results = make_results()
    results['gt_normals'] = results['gt_normals'][..., :2]
    with pytest.raises(ValueError, match=r'gt_normals.*HxWx3.*\(24, 32, 2\)'):
        MultiTaskRandomFlip(prob=1.0)(results)


@pytest.mark.parametrize(
    'scale, factor',
    [
        ((64, 48), 2.0),  # uniform x2: depth / 2
        ((48, 12), math.sqrt(1.5 * 0.5)),  # anisotropic: geometric mean
        ((16, 12), 0.5),  # downscale: depth * 2
    ])
def test_resize_divides_depth_by_geometric_mean(scale, factor):
    orig = make_results()
    resize = MultiTaskResize(scale=scale, interpolation='nearest')
    out = resize(make_results())
    assert out['img'].shape[:2] == (scale[1], scale[0])
    w_scale, h_scale = out['scale_factor']
    assert (w_scale, h_scale) == (scale[0] / W, scale[1] / H)
    assert geometric_mean(out) == pytest.approx(factor)
    assert_aligned(out, orig, flipped=False, depth_scale=factor)
    for key in out['seg_fields']:
        assert out[key].shape[:2] == out['img'].shape[:2]


def test_resize_keep_ratio_scale_factor():
    orig = make_results()
    resize = TRANSFORMS.build(
        dict(
            type='MultiTaskResize',
            scale=(100, 36),
            keep_ratio=True,
            interpolation='nearest'))
    out = resize(make_results())
    assert out['img'].shape[:2] == (36, 48)
    assert_aligned(out, orig, flipped=False, depth_scale=1.5)


def test_resize_rejects_pillow_and_integer_depth():
    with pytest.raises(ValueError, match='cv2'):
        MultiTaskResize(scale=(8, 8), backend='pillow')
    results = make_results()
    results['gt_depth'] = results['gt_depth'].astype(np.uint16)
    with pytest.raises(TypeError, match='gt_depth.*float'):
        MultiTaskResize(scale=(64, 48))(results)


def test_random_resize_crop_flip_pipeline_keeps_alignment():
    pipeline = [
        TRANSFORMS.build(
            dict(
                type='RandomResize',
                scale=(32, 24),
                ratio_range=(0.75, 2.0),
                keep_ratio=True,
                resize_type='MultiTaskResize',
                interpolation='nearest')),
        TRANSFORMS.build(dict(type='RandomCrop', crop_size=(16, 20))),
        TRANSFORMS.build(dict(type='MultiTaskRandomFlip', prob=0.5)),
    ]
    assert isinstance(pipeline[0].resize, MultiTaskResize)
    np.random.seed(0)
    flips = set()
    for _ in range(6):
        orig = make_results()
        results = make_results()
        for transform in pipeline:
            results = transform(results)
        assert results['img'].shape[:2] == results['img_shape']
        assert results['img_shape'][0] <= 16 and results['img_shape'][1] <= 20
        flips.add(results['flip'])
        assert_aligned(results, orig, results['flip'], geometric_mean(results))
    assert flips == {True, False}
