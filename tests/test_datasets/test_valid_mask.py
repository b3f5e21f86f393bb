"""TaskSpec.valid_mask: one rule, same masks for numpy arrays and tensors."""
import numpy as np
import pytest
import torch

from mmvmt.tasks import NORMALS, TASKS


def _ground_truth(spec, rng, shape):
    """A (N, C, H, W) map with valid pixels and ignore_value pixels."""
    n, h, w = shape
    if spec.kind == NORMALS:
        gt = rng.normal(size=(n, 3, h, w)).astype(np.float32)
        gt /= np.linalg.norm(gt, axis=1, keepdims=True)
        gt[:, :, 0, 0] = 0  # the zero vector: invalid
        gt[:, 0, 0, 1] = 0  # one zero channel only: valid
        gt[:, :2, 0, 2] = 0  # two zero channels: valid
        gt[:, :, 1, 0] = 255  # no longer a marker: valid
        return gt
    high = 3 if spec.ignore_value == 255 else 50
    gt = rng.integers(0, high, (n, 1, h, w)).astype(spec.gt_dtype)
    gt[:, :, 0, 0] = spec.ignore_value
    return gt


@pytest.mark.parametrize('task', list(TASKS))
def test_numpy_and_torch_give_identical_masks(task):
    spec = TASKS[task]
    gt = _ground_truth(spec, np.random.default_rng(0), (2, 4, 5))
    mask_np = spec.valid_mask(gt)
    mask_pt = spec.valid_mask(torch.from_numpy(gt))
    assert isinstance(mask_np, np.ndarray) and mask_np.dtype == bool
    assert isinstance(mask_pt, torch.Tensor) and mask_pt.dtype == torch.bool
    assert mask_np.shape == tuple(mask_pt.shape) == (2, 1, 4, 5)
    assert np.array_equal(mask_np, mask_pt.numpy())
    # Unbatched (C, H, W) works the same way.
    assert np.array_equal(spec.valid_mask(gt[0]), mask_np[0])
    assert not mask_np[:, 0, 0, 0].any()


@pytest.mark.parametrize('task', list(TASKS))
def test_mask_marks_exactly_the_ignore_value(task):
    spec = TASKS[task]
    gt = _ground_truth(spec, np.random.default_rng(1), (1, 4, 5))
    if spec.kind == NORMALS:
        expected = ~(gt == 0).all(axis=1, keepdims=True)
        assert expected.sum() == 4 * 5 - 1
    else:
        expected = gt != spec.ignore_value
    assert np.array_equal(spec.valid_mask(gt), expected)


def test_normals_invalid_is_the_zero_vector():
    spec = TASKS['normals']
    assert spec.ignore_value == 0
    # (N, C, H, W): three one-pixel maps.
    gt = np.array([0., -0., 0., 1., 0., 0., 255., 255., 255.],
                  np.float32).reshape(3, 3, 1, 1)
    # -0.0 == 0: a flipped invalid pixel stays invalid.
    assert spec.valid_mask(gt)[:, 0, 0, 0].tolist() == [False, True, True]


def test_numpy_views_need_no_copy():
    """HxWxC pipeline maps: a transposed (negative-stride) view works."""
    spec = TASKS['normals']
    hwc = np.zeros((3, 4, 3), np.float32)
    hwc[1, 2] = [0, 0, 1]
    view = hwc[:, ::-1].transpose(2, 0, 1)
    mask = spec.valid_mask(view)[0]
    assert mask.shape == (3, 4) and mask.sum() == 1 and mask[1, 1]
