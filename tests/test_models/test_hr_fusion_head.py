"""HRFusionHead: the public decoder's structure, count and outputs."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmvmt.models.decode_heads import HRFusionHead

#: MTLoRA's taps (after each stage's patch merging) and mmseg's Swin-T ones.
PUBLIC_TAPS = [192, 384, 768, 768]
MMSEG_TAPS = [96, 192, 384, 768]
#: PASCAL's four tasks and their outputs (semseg 21, parts 7, sal, normals).
PASCAL = dict(semseg=21, human_parts=7, sal=None, normals=None)
PASCAL_OUTPUTS = dict(semseg=21, human_parts=7, sal=1, normals=3)
#: The public code's decoder count for PASCAL (the tables' "1.94M"):
#: per task 1x1 downsamplers 192*18 + 384*36 + 768*72 + 768*144 = 183,168,
#: then 270 -> 1,080 conv (+ bias) 292,680, BN 2,160 and 1,080 -> K conv
#: 1,081 K; with K = 21 + 7 + 1 + 3 = 32 over the four tasks.
PUBLIC_PASCAL_COUNT = 1_946_624


def _head(task, in_channels=PUBLIC_TAPS, **kwargs):
    return MODELS.build(
        dict(
            type='HRFusionHead',
            task=task,
            in_channels=in_channels,
            num_classes=PASCAL.get(task),
            **kwargs))


def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_pascal_count_is_the_public_decoders():
    heads = {task: _head(task) for task in PASCAL}
    assert sum(map(_count, heads.values())) == PUBLIC_PASCAL_COUNT
    for task, head in heads.items():
        outputs = PASCAL_OUTPUTS[task]
        assert _count(head) == 478_008 + 1_081 * outputs
        assert _count(head) == HRFusionHead.num_params(PUBLIC_TAPS, outputs)
    # every parameter trains (no frozen part in a decoder)
    assert all(p.requires_grad for h in heads.values() for p in h.parameters())


@pytest.mark.parametrize('taps,channels,down', [
    (MMSEG_TAPS, None, (18, 36, 72, 144)),
    ([8, 16, 24, 32], 20, (2, 3, 4, 5)),
    ([8, 16], None, (4, 4)),
])
def test_count_formula(taps, channels, down):
    for task, outputs in PASCAL_OUTPUTS.items():
        head = _head(
            task,
            in_channels=taps,
            in_index=list(range(len(taps))),
            channels=channels,
            down_channels=down)
        assert _count(head) == HRFusionHead.num_params(taps, outputs, down,
                                                       channels)
    if taps == MMSEG_TAPS:  # mmseg's taps: 36,288 fewer per task
        total = sum(
            HRFusionHead.num_params(taps, k) for k in PASCAL_OUTPUTS.values())
        assert total == PUBLIC_PASCAL_COUNT - 4 * 36_288 == 1_801_472


class PublicHead(nn.Module):
    """The public decoder of one task, written from its description.

    ``Downsampler`` (1x1 convs without bias on each map) then
    ``HighResolutionHead``: bilinear upsampling to the first map, concat,
    1x1 conv, BatchNorm2d, ReLU, 1x1 conv.
    """

    def __init__(self, dims, channels, outputs):
        super().__init__()
        self.down = nn.ModuleList(
            nn.Conv2d(d, c, 1, bias=False) for d, c in zip(dims, channels))
        total = sum(channels)
        self.last_layer = nn.Sequential(
            nn.Conv2d(total, 4 * total, 1), nn.BatchNorm2d(4 * total),
            nn.ReLU(), nn.Conv2d(4 * total, outputs, 1))

    def forward(self, feats):
        x = [down(f) for down, f in zip(self.down, feats)]
        size = x[0].shape[2:]
        x = [x[0]] + [
            F.interpolate(f, size, mode='bilinear', align_corners=False)
            for f in x[1:]
        ]
        return self.last_layer(torch.cat(x, 1))


def _feats(taps, batch=2, size=16):
    gen = torch.Generator().manual_seed(0)
    return [
        torch.randn(
            batch,
            c,
            max(size // 2**i, 2),
            max(size // 2**i, 2),
            generator=gen) for i, c in enumerate(taps)
    ]


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_outputs_equal_the_public_structure(mode):
    taps = [8, 16, 24, 24]
    down = [2, 3, 4, 5]
    head = _head('semseg', in_channels=taps, down_channels=down)
    public = PublicHead(taps, down, 21)
    torch.manual_seed(1)
    for p in public.parameters():
        nn.init.normal_(p)
    mapping = {f'down.{i}.weight': f'downsample.{i}.weight' for i in range(4)}
    mapping.update({
        'last_layer.0.weight': 'fusion_conv.weight',
        'last_layer.0.bias': 'fusion_conv.bias',
        'last_layer.1.weight': 'fusion_norm.weight',
        'last_layer.1.bias': 'fusion_norm.bias',
        'last_layer.1.running_mean': 'fusion_norm.running_mean',
        'last_layer.1.running_var': 'fusion_norm.running_var',
        'last_layer.1.num_batches_tracked': 'fusion_norm.num_batches_tracked',
        'last_layer.3.weight': 'conv_seg.weight',
        'last_layer.3.bias': 'conv_seg.bias',
    })
    state = {mapping[k]: v for k, v in public.state_dict().items()}
    assert set(state) == set(head.state_dict())
    head.load_state_dict(state)
    getattr(head, mode)()
    getattr(public, mode)()
    feats = _feats(taps)
    out = head(feats)
    assert out.shape == (2, 21, 16, 16)  # the first map's resolution
    torch.testing.assert_close(out, public(feats))


def _samples(gt):
    samples = []
    for one in gt:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=one)
        samples.append(sample)
    return samples


@pytest.mark.parametrize('task,gt,keys', [
    ('semseg', lambda: torch.randint(0, 21,
                                     (2, 1, 32, 32)), {'loss_ce', 'acc_seg'}),
    ('sal', lambda: torch.randint(0, 2,
                                  (2, 1, 32, 32)), {'loss_balanced_bce'}),
    ('normals', lambda: F.normalize(torch.randn(2, 3, 32, 32), dim=1),
     {'loss_l1'}),
])
def test_losses_and_prediction_follow_the_task_table(task, gt, keys):
    taps = [8, 16, 24, 24]
    head = _head(task, in_channels=taps, down_channels=[2, 3, 4, 5])
    losses = head.loss(_feats(taps), _samples(gt()), None)
    assert set(losses) == keys
    loss = sum(v for k, v in losses.items() if k.startswith('loss_'))
    loss.backward()
    assert head.downsample[3].weight.grad.abs().sum() > 0
    metas = [dict(img_shape=(60, 40), pad_shape=(64, 48))]
    pred = head.predict(_feats(taps), metas, None)
    assert pred.shape == (2, PASCAL_OUTPUTS[task], 64, 48)


def test_bad_arguments():
    with pytest.raises(ValueError, match='one entry per input map'):
        _head('sal', in_channels=[8, 16])
    with pytest.raises(ValueError, match='one entry per input map'):
        _head('sal', down_channels=[18, 36, 72])
    with pytest.raises(ValueError, match='num_classes must be given'):
        MODELS.build(dict(type='HRFusionHead', task='semseg'))
    with pytest.raises(ValueError, match='3 output channels'):
        MODELS.build(dict(type='HRFusionHead', task='normals', num_classes=4))
