"""Tests of the multi-scale fusion task head."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads import SegformerHead
from mmseg.models.losses import CrossEntropyLoss
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmvmt.models.losses import (BalancedBCELoss, DepthL1Loss, NormalsL1Loss,
                                 WeightedBCELoss)

IN_CHANNELS = [8, 16, 24, 32]


def _feats(batch=2, size=16):
    torch.manual_seed(0)
    return [
        torch.randn(batch, c, size // 2**i, size // 2**i)
        for i, c in enumerate(IN_CHANNELS)
    ]


def _head(task, **kwargs):
    cfg = dict(
        type='MultiScaleFusionHead',
        task=task,
        in_channels=IN_CHANNELS,
        channels=8,
        **kwargs)
    return MODELS.build(cfg)


def _samples(gts):
    samples = []
    for gt in gts:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
    return samples


@pytest.mark.parametrize('task,num_classes,channels', [
    ('semseg', 5, 5),
    ('human_parts', 7, 7),
    ('sal', None, 1),
    ('edge', None, 1),
    ('normals', None, 3),
    ('depth', None, 1),
])
def test_output_shapes(task, num_classes, channels):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        head = _head(task, num_classes=num_classes)
    # no binary-threshold / num_classes warnings for 1-channel outputs
    assert not [w for w in caught if 'binary' in str(w.message)]
    assert head.out_channels == channels
    out = head(_feats())
    assert out.shape == (2, channels, 16, 16)
    metas = [dict(img_shape=(60, 40), pad_shape=(64, 48))]
    pred = head.predict(_feats(), metas, None)
    assert pred.shape == (2, channels, 64, 48)


def test_default_losses_follow_task_table():
    assert isinstance(
        _head('semseg', num_classes=3).loss_decode, CrossEntropyLoss)
    assert isinstance(_head('sal').loss_decode, BalancedBCELoss)
    edge_loss = _head('edge').loss_decode
    assert isinstance(edge_loss, WeightedBCELoss)
    assert edge_loss.pos_weight == 0.95
    assert isinstance(_head('normals').loss_decode, NormalsL1Loss)
    assert isinstance(_head('depth').loss_decode, DepthL1Loss)
    # the task weight is applied by the segmentor, not here
    assert _head('normals').loss_decode.loss_weight == 1.0
    assert _head('semseg', num_classes=3).ignore_index == 255


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_classes must be given'):
        _head('semseg')
    with pytest.raises(ValueError, match='3 output channels'):
        _head('normals', num_classes=4)
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        _head('segm', num_classes=3)
    with pytest.raises(ValueError, match='same length'):
        _head('sal', in_index=[0, 1])


def test_class_task_loss_has_acc_seg():
    head = _head('semseg', num_classes=4)
    gt = torch.randint(0, 4, (2, 1, 32, 32))
    gt[0, 0, :4] = 255
    losses = head.loss(_feats(), _samples(gt), None)
    assert set(losses) == {'loss_ce', 'acc_seg'}
    logits = F.interpolate(
        head(_feats()), size=(32, 32), mode='bilinear', align_corners=False)
    # Mean over valid pixels, as nn.CrossEntropyLoss(ignore_index=255) in
    # the benchmark code (the task table sets avg_non_ignore=True).
    expected = F.cross_entropy(logits, gt[:, 0], ignore_index=255)
    assert losses['loss_ce'].item() == pytest.approx(expected.item(), 1e-5)


@pytest.mark.parametrize('task,gt_fn,key', [
    ('sal', lambda: torch.randint(0, 2, (2, 1, 32, 32)), 'loss_balanced_bce'),
    ('edge', lambda: torch.randint(0, 2, (2, 1, 32, 32)), 'loss_weighted_bce'),
    ('normals', lambda: F.normalize(torch.randn(2, 3, 32, 32), dim=1),
     'loss_l1'),
    ('depth', lambda: torch.rand(2, 1, 32, 32) * 5, 'loss_l1'),
])
def test_non_class_task_loss(task, gt_fn, key):
    head = _head(task)
    gt = gt_fn()
    losses = head.loss(_feats(), _samples(gt), None)
    assert set(losses) == {key}
    # equals the configured loss on logits resized to the ground truth
    logits = F.interpolate(
        head(_feats()), size=(32, 32), mode='bilinear', align_corners=False)
    expected = head.loss_decode(logits, gt)
    assert losses[key].item() == pytest.approx(expected.item(), rel=1e-5)
    losses[key].backward()
    assert head.conv_seg.weight.grad.abs().sum() > 0


def test_several_losses_with_one_name_are_summed():
    head = _head(
        'depth',
        loss_decode=[
            dict(type='DepthL1Loss'),
            dict(type='DepthL1Loss', loss_weight=2.0),
            dict(type='DepthL1Loss', loss_name='loss_other')
        ])
    gt = torch.rand(2, 1, 16, 16) + 0.1
    losses = head.loss(_feats(), _samples(gt), None)
    assert set(losses) == {'loss_l1', 'loss_other'}
    assert losses['loss_l1'].item() == pytest.approx(
        3 * losses['loss_other'].item(), rel=1e-5)


def test_wrong_gt_channels():
    head = _head('normals')
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        head.loss(_feats(), _samples(torch.rand(2, 1, 16, 16)), None)


def test_losses_get_the_heads_task():
    # a binary loss configured without a task serves the head's task
    head = _head('sal', loss_decode=dict(type='WeightedBCELoss'))
    assert head.loss_decode.spec.name == 'sal'
    head = _head(
        'edge',
        loss_decode=[
            dict(type='BalancedBCELoss'),
            dict(type='WeightedBCELoss', task='sal', loss_name='loss_w')
        ])
    assert [m.spec.name for m in head.loss_decode] == ['edge', 'sal']
    # mmseg's losses take no task
    assert isinstance(
        _head('semseg', num_classes=3).loss_decode, CrossEntropyLoss)


def test_segformer_layout_and_old_checkpoint_keys():
    head = _head('normals')
    assert isinstance(head, SegformerHead)
    assert head.fusion_conv.conv.kernel_size == (3, 3)
    assert head.fusion_conv.conv.in_channels == 8 * len(IN_CHANNELS)
    keys = set(head.state_dict())
    assert {
        'convs.0.conv.weight', 'convs.3.bn.running_mean',
        'fusion_conv.conv.weight', 'fusion_conv.bn.weight', 'conv_seg.weight',
        'conv_seg.bias'
    } <= keys
    # a checkpoint of the head before it was built on SegformerHead
    torch.manual_seed(1)
    trained = {}
    for key, value in _head('normals').state_dict().items():
        old = key.replace('convs.', 'reduce_convs.')
        old = old.replace('fusion_conv.', 'fuse_conv.')
        trained[f'normals.{old}'] = torch.randn_like(value.float()).to(
            value.dtype)
    assert 'normals.fusion_conv.bn.bias' not in trained
    wrapped = torch.nn.ModuleDict(dict(normals=head))
    wrapped.load_state_dict(trained, strict=True)
    assert torch.equal(head.convs[2].conv.weight,
                       trained['normals.reduce_convs.2.conv.weight'])
    assert torch.equal(head.fusion_conv.bn.bias,
                       trained['normals.fuse_conv.bn.bias'])
