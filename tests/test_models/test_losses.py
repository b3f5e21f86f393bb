"""Tests of the task losses against hand-computed values."""
import math

import pytest
import torch

from mmvmt.models.losses import (BalancedBCELoss, DepthL1Loss, NormalsL1Loss,
                                 WeightedBCELoss)
from mmvmt.tasks import get_task

#: Invalid value of normals ground truth (in all three channels).
NORMALS_INVALID = float(get_task('normals').ignore_value)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# logits and labels of a 2x2 map: one ignored pixel (255)
LOGITS = [[0.0, 1.0], [-2.0, 3.0]]
LABELS = [[1, 0], [255, 1]]


def _binary_inputs():
    pred = torch.tensor(LOGITS).view(1, 1, 2, 2).requires_grad_()
    target = torch.tensor(LABELS).view(1, 1, 2, 2)
    return pred, target


def test_balanced_bce_hand_computed():
    pred, target = _binary_inputs()
    # valid pixels: logits 0 (pos), 1 (neg), 3 (pos); w = num_neg / num_valid
    w = 1 / 3
    pos = softplus(-0.0) + softplus(-3.0)
    neg = softplus(1.0)
    expected = (w * pos + (1 - w) * neg) / 3
    loss = BalancedBCELoss()(pred, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # loss_weight scales, (N, H, W) targets are accepted
    loss5 = BalancedBCELoss(loss_weight=5.0)(pred, target[:, 0])
    assert loss5.item() == pytest.approx(5 * expected, rel=1e-6)


def test_balanced_bce_weight_is_batch_wide():
    # two images: only negatives in the first, only positives in the second
    pred = torch.zeros(2, 1, 1, 2)
    target = torch.tensor([[[[0, 0]]], [[[1, 1]]]])
    # w = 2 / 4 = 0.5, every pixel loses log(2): 0.5 * log 2 on average
    loss = BalancedBCELoss()(pred, target)
    assert loss.item() == pytest.approx(0.5 * math.log(2), rel=1e-6)


def test_weighted_bce_hand_computed():
    pred, target = _binary_inputs()
    pos = softplus(-0.0) + softplus(-3.0)
    neg = softplus(1.0)
    expected = (0.95 * pos + 0.05 * neg) / 3
    loss = WeightedBCELoss()(pred, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    expected_07 = (0.7 * pos + 0.3 * neg) / 3
    assert WeightedBCELoss(pos_weight=0.7)(pred, target).item() == \
        pytest.approx(expected_07, rel=1e-6)


@pytest.mark.parametrize('loss_cls', [BalancedBCELoss, WeightedBCELoss])
def test_bce_numerically_stable(loss_cls):
    pred = torch.tensor([[[[100.0, -100.0]]]], requires_grad=True)
    target = torch.tensor([[[[0, 1]]]])
    loss = loss_cls()(pred, target)
    assert torch.isfinite(loss)
    assert loss.item() > 10
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_bce_ignore_index_override():
    pred, target = _binary_inputs()
    target = target.clone()
    target[0, 0, 1, 0] = 7
    ref = WeightedBCELoss()(pred, _binary_inputs()[1])
    assert WeightedBCELoss(ignore_index=7)(pred, target).item() == \
        pytest.approx(ref.item())


def test_normals_l1_hand_computed():
    # pixels: (3,4,0) vs (1,0,0) -> |.6-1|+|.8|+0 = 1.2 ;
    # (0,0,-2) vs (0,0,1) -> 2 ; gt the invalid value -> invalid ;
    # gt zero -> invalid
    bad = NORMALS_INVALID
    pred = torch.tensor([[3.0, 0.0, 5.0, 1.0], [4.0, 0.0, 5.0, 1.0],
                         [0.0, -2.0, 5.0, 1.0]]).view(1, 3, 1, 4)
    gt = torch.tensor([[1.0, 0.0, bad, 0.0], [0.0, 0.0, bad, 0.0],
                       [0.0, 1.0, bad, 0.0]]).view(1, 3, 1, 4)
    pred.requires_grad_()
    loss = NormalsL1Loss()(pred, gt)
    assert loss.item() == pytest.approx((1.2 + 2.0) / 6, rel=1e-6)
    loss.backward()
    # invalid pixels receive no gradient
    assert pred.grad[..., 2:].abs().sum() == 0
    assert NormalsL1Loss(loss_weight=10.0)(pred, gt).item() == \
        pytest.approx(10 * (1.2 + 2.0) / 6, rel=1e-6)


def test_depth_l1_hand_computed():
    pred = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 2, 2)
    gt = torch.tensor([0.0, 2.5, 1.0, 0.0]).view(1, 1, 2, 2)
    loss = DepthL1Loss()(pred, gt)
    assert loss.item() == pytest.approx((0.5 + 2.0) / 2)


@pytest.mark.parametrize('loss_cls,channels,invalid', [
    (BalancedBCELoss, 1, 255),
    (WeightedBCELoss, 1, 255),
    (NormalsL1Loss, 3, NORMALS_INVALID),
    (NormalsL1Loss, 3, 0),
    (DepthL1Loss, 1, 0),
])
def test_all_ignored_is_zero_with_finite_grad(loss_cls, channels, invalid):
    pred = torch.randn(2, channels, 3, 3, requires_grad=True)
    target = torch.full((2, channels, 3, 3), float(invalid))
    loss = loss_cls()(pred, target)
    assert loss.item() == 0
    loss.backward()
    assert pred.grad is not None
    assert torch.isfinite(pred.grad).all()
    assert pred.grad.abs().sum() == 0


def test_pixel_weight():
    pred = torch.tensor([1.0, 2.0]).view(1, 1, 1, 2)
    gt = torch.tensor([2.0, 4.0]).view(1, 1, 1, 2)
    weight = torch.tensor([1.0, 0.5]).view(1, 1, 1, 2)
    # (1 * 1 + 0.5 * 2) / 2
    assert DepthL1Loss()(pred, gt, weight=weight).item() == pytest.approx(1.0)


def test_loss_names():
    names = {
        BalancedBCELoss: 'loss_balanced_bce',
        WeightedBCELoss: 'loss_weighted_bce',
        NormalsL1Loss: 'loss_l1',
        DepthL1Loss: 'loss_l1',
    }
    for loss_cls, loss_name in names.items():
        assert loss_cls().loss_name == loss_name
        assert loss_cls(loss_name='loss_x').loss_name == 'loss_x'


@pytest.mark.parametrize('loss_cls,task', [
    (BalancedBCELoss, 'sal'),
    (BalancedBCELoss, 'edge'),
    (WeightedBCELoss, 'edge'),
    (WeightedBCELoss, 'sal'),
    (NormalsL1Loss, 'normals'),
    (DepthL1Loss, 'depth'),
])
def test_validity_is_the_task_tables(loss_cls, task):
    spec = get_task(task)
    torch.manual_seed(0)
    target = torch.rand(2, spec.gt_channels, 4, 5)
    target[:, :, :2] = float(spec.ignore_value)
    target[0, :, 3, :2] = 0
    loss = loss_cls(task=task)
    assert loss.spec is spec
    assert torch.equal(loss.valid_mask(target), spec.valid_mask(target))


def test_default_tasks_and_kinds():
    assert BalancedBCELoss().spec.name == 'sal'
    assert WeightedBCELoss().spec.name == 'edge'
    assert NormalsL1Loss().spec.name == 'normals'
    assert DepthL1Loss().spec.name == 'depth'
    with pytest.raises(ValueError, match="task 'normals' is a 'normals'"):
        BalancedBCELoss(task='normals')
    with pytest.raises(ValueError, match=r"serves \['depth'\] tasks"):
        DepthL1Loss(task='semseg')
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        NormalsL1Loss(task='segm')


def test_bad_arguments():
    with pytest.raises(ValueError, match="start with 'loss_'"):
        DepthL1Loss(loss_name='l1')
    with pytest.raises(ValueError, match='pos_weight'):
        WeightedBCELoss(pos_weight=1.5)
    with pytest.raises(ValueError, match='does not match target shape'):
        DepthL1Loss()(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 2))
    with pytest.raises(ValueError, match='one output channel'):
        BalancedBCELoss()(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2))
    with pytest.raises(ValueError, match='3 channels'):
        NormalsL1Loss()(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2))
