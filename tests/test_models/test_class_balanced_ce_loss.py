"""ClassBalancedCELoss: hand-computed values, ignore pixels, fp16."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmvmt.models.decode_heads import MultiScaleFusionHead
from mmvmt.models.losses import ClassBalancedCELoss, balanced_class_weights


def _case():
    """Logits ``(1, 2, 1, 4)`` and labels: two classes, one ignored pixel.

    Weights (4 / 4, 4 / 1) ** 0.5 = (1, 2). Pixel CEs: ln 2 (class 0),
    ln 2 (class 1), ln 4 (class 1: p = 1 / (3 + 1)), ignored.
    """
    logits = torch.tensor([[[[0., 0., math.log(3.), 50.]], [[0., 0., 0.,
                                                             -50.]]]])
    label = torch.tensor([[[0, 1, 1, 255]]])
    return logits, label


def test_hand_computed_value():
    loss = ClassBalancedCELoss(class_frequency=[4, 1], power=0.5)
    logits, label = _case()
    # (1 * ln2 + 2 * ln2 + 2 * ln4) / (1 + 2 + 2) = 7 ln2 / 5
    expected = 7 * math.log(2) / 5
    assert loss(logits, label).item() == pytest.approx(expected, rel=1e-6)
    # mmseg's (N, 1, H, W) labels and loss_weight.
    loss = ClassBalancedCELoss(
        class_frequency=[4, 1], power=0.5, loss_weight=3.)
    assert loss(logits, label[:, None]).item() == pytest.approx(
        3 * expected, rel=1e-6)


def test_matches_torch_weighted_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 6, 7)
    label = torch.randint(0, 5, (2, 6, 7))
    label[0, :3] = 255
    freq = [50., 20., 10., 5., 1.]
    loss = ClassBalancedCELoss(class_frequency=freq, power=0.3)
    weight = torch.tensor([(50. / f)**0.3 for f in freq])
    expected = F.cross_entropy(logits, label, weight=weight, ignore_index=255)
    assert torch.allclose(loss(logits, label), expected, rtol=1e-5)
    # power 0: plain cross-entropy over the valid pixels.
    plain = ClassBalancedCELoss(class_frequency=freq, power=0.)
    assert torch.allclose(
        plain(logits, label),
        F.cross_entropy(logits, label, ignore_index=255),
        rtol=1e-5)


def test_ignored_pixels_take_no_part():
    loss = ClassBalancedCELoss(class_frequency=[4, 1])
    logits, label = _case()
    logits.requires_grad_(True)
    value = loss(logits, label)
    value.backward()
    assert (logits.grad[..., 3] == 0).all()
    changed = logits.detach().clone()
    changed[..., 3] = torch.tensor([-7., 9.])[:, None]
    assert loss(changed, label).item() == pytest.approx(value.item())
    # The head's ignore index takes precedence over the task's.
    label2 = label.clone()
    label2[..., 3] = 1
    assert loss(
        logits, label2, ignore_index=1).item() == pytest.approx(math.log(2))


def test_all_ignored_batch_is_zero_with_gradient():
    loss = ClassBalancedCELoss(class_frequency=[4, 1])
    logits = torch.randn(2, 2, 3, 3, requires_grad=True)
    value = loss(logits, torch.full((2, 3, 3), 255))
    assert value.item() == 0 and value.requires_grad
    value.backward()
    assert logits.grad is not None
    assert torch.isfinite(logits.grad).all() and (logits.grad == 0).all()


def test_fp16_logits_over_65504_pixels():
    """A weight sum in fp16 would overflow (inf) above 65,504 pixels."""
    torch.manual_seed(0)
    logits = torch.randn(1, 3, 300, 300)
    label = torch.randint(0, 3, (1, 300, 300))
    loss = ClassBalancedCELoss(class_frequency=[100, 10, 1])
    half = logits.half().requires_grad_(True)
    value = loss(half, label)
    assert value.dtype == torch.float32 and torch.isfinite(value)
    assert value.item() == pytest.approx(
        loss(half.detach().float(), label).item(), rel=1e-6)
    value.backward()
    assert half.grad.dtype == torch.float16
    assert torch.isfinite(half.grad).all()


def test_weights_and_bad_input():
    assert balanced_class_weights([4, 1, 16], 0.5).tolist() == [2., 4., 1.]
    assert balanced_class_weights([4, 1], 1.).dtype == torch.float32
    with pytest.raises(ValueError, match=r'class\(es\) \[1\]'):
        ClassBalancedCELoss(class_frequency=[3, 0])
    with pytest.raises(ValueError, match='power must be in'):
        ClassBalancedCELoss(class_frequency=[3, 1], power=2)
    with pytest.raises(ValueError, match='non-empty'):
        ClassBalancedCELoss(class_frequency=[])
    with pytest.raises(ValueError, match="serves \\['class'\\]"):
        ClassBalancedCELoss(class_frequency=[3, 1], task='sal')
    loss = ClassBalancedCELoss(class_frequency=[3, 1], task='human_parts')
    with pytest.raises(ValueError, match=r'\(N, 2, H, W\) logits'):
        loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match='do not fit'):
        loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 3, 2))
    with pytest.raises(ValueError, match=r'human_parts.*got \[0, 7\]'):
        loss(torch.zeros(1, 2, 1, 2), torch.tensor([[[0, 7]]]))


def test_in_a_head_with_ignore_labels():
    """mmseg's CrossEntropyLoss(class_weight=...) raises IndexError on 255
    labels in this path; the registered loss does not."""
    head = MultiScaleFusionHead(
        task='human_parts',
        in_channels=[4, 4],
        in_index=[0, 1],
        channels=4,
        num_classes=3,
        loss_decode=dict(
            type='ClassBalancedCELoss', class_frequency=[10, 2, 1]))
    assert isinstance(head.loss_decode, ClassBalancedCELoss)
    assert head.loss_decode.spec.name == 'human_parts'
    feats = [torch.randn(2, 4, 4, 4), torch.randn(2, 4, 2, 2)]
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        gt = torch.randint(0, 3, (1, 8, 8))
        gt[:, :2] = 255
        sample.gt_sem_seg = PixelData(data=gt)
        sample.set_metainfo(dict(img_shape=(8, 8), pad_shape=(8, 8)))
        samples.append(sample)
    losses = head.loss_by_feat(head(feats), samples)
    assert torch.isfinite(losses['loss_ce'])
    assert MODELS.get('ClassBalancedCELoss') is ClassBalancedCELoss
