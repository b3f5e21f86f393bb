"""Tests of the multi-task segmentor."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.analysis import get_model_complexity_info
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmvmt.models.decode_heads import MultiScaleFusionHead
from mmvmt.models.segmentors import MultiTaskEncoderDecoder
from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import TASKS

IN_CHANNELS = [8, 16, 24, 32]
BN = dict(type='BN', requires_grad=True)


@MODELS.register_module(name='_TestFeatBackbone', force=True)
class _TestFeatBackbone(nn.Module):
    """Tiny learnable backbone: 4 maps at strides 4..32, shared or per task.

    Args:
        tasks: If given, returns a dict ``task -> maps`` for these tasks
            (with a per-task offset), else one shared list.
        advertise: Whether to expose ``tasks`` as an attribute (like
            ``VMTSwinTransformer``).
    """

    def __init__(self, tasks=None, advertise=True):
        super().__init__()
        if tasks is not None and advertise:
            self.tasks = tuple(tasks)
        self.out_tasks = tasks
        self.convs = nn.ModuleList(
            nn.Conv2d(3, c, 3, padding=1) for c in IN_CHANNELS)
        self.task_offset = nn.ParameterDict(
            {t: nn.Parameter(torch.zeros(1))
             for t in tasks or ()})

    def forward(self, x):
        feats = [
            conv(F.avg_pool2d(x, 4 * 2**i))
            for i, conv in enumerate(self.convs)
        ]
        if self.out_tasks is None:
            return feats
        return {
            t: [f + self.task_offset[t] for f in feats]
            for t in self.out_tasks
        }


@MODELS.register_module(name='_TestSalOnlyBackbone', force=True)
class _TestSalOnlyBackbone(_TestFeatBackbone):
    """A dict backbone that does not take (nor advertise) its tasks."""

    def __init__(self):
        super().__init__(tasks=('sal', ), advertise=False)


@MODELS.register_module(name='_TestIdentityBackbone', force=True)
class _TestIdentityBackbone(nn.Module):
    """Returns the image itself as the only feature map."""

    def forward(self, x):
        return [x]


@MODELS.register_module(name='_TestPatternHead', force=True)
class _TestPatternHead(MultiScaleFusionHead):
    """Outputs the first ``out_channels`` image channels: a known pattern."""

    def __init__(self, task, num_classes=None):
        super().__init__(
            task=task,
            in_channels=[3],
            in_index=[0],
            channels=4,
            num_classes=num_classes)

    def forward(self, inputs):
        return inputs[0][:, :self.out_channels]


def _fusion(**kwargs):
    cfg = dict(
        type='MultiScaleFusionHead', in_channels=IN_CHANNELS, channels=8)
    cfg.update(kwargs)
    return cfg


HEADS = dict(
    semseg=dict(
        type='FCNHead',
        in_channels=32,
        in_index=3,
        channels=8,
        num_convs=1,
        num_classes=4,
        dropout_ratio=0,
        norm_cfg=BN),
    human_parts=dict(
        type='UPerHead',
        in_channels=IN_CHANNELS,
        in_index=[0, 1, 2, 3],
        channels=8,
        pool_scales=(1, 2),
        num_classes=7,
        dropout_ratio=0,
        norm_cfg=BN),
    sal=_fusion(),
    edge=_fusion(),
    normals=_fusion(),
    depth=_fusion(),
)

ALL_TASKS = ('semseg', 'human_parts', 'sal', 'normals', 'depth', 'edge')


def _model(tasks=ALL_TASKS, backbone_tasks=None, **kwargs):
    # backbone_tasks None: the segmentor passes the heads' tasks
    backbone = dict(type='_TestFeatBackbone', tasks=backbone_tasks)
    heads = {t: HEADS[t] for t in tasks}
    torch.manual_seed(0)
    return MultiTaskEncoderDecoder(
        backbone=backbone, decode_heads=heads, **kwargs)


def _gt(task, h, w):
    if task == 'semseg':
        return torch.randint(0, 4, (1, h, w))
    if task == 'human_parts':
        return torch.randint(0, 7, (1, h, w))
    if task in ('sal', 'edge'):
        return torch.randint(0, 2, (1, h, w))
    if task == 'normals':
        return F.normalize(torch.randn(3, h, w), dim=0)
    return torch.rand(1, h, w) * 4


def _batch(tasks, n=2, h=64, w=64, **meta):
    torch.manual_seed(1)
    inputs = torch.randn(n, 3, h, w)
    samples = []
    for _ in range(n):
        metainfo = dict(
            img_shape=(h, w),
            ori_shape=(h, w),
            pad_shape=(h, w),
            padding_size=[0, 0, 0, 0])
        metainfo.update(meta)
        sample = MultiTaskDataSample(metainfo=metainfo)
        for task in tasks:
            sample.set_task_gt(task, _gt(task, h, w))
        samples.append(sample)
    return inputs, samples


# --------------------------------------------------------------------- loss
def test_loss_keys_mixed_heads():
    model = _model()
    inputs, samples = _batch(model.tasks)
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'semseg.loss_ce', 'semseg.acc_seg', 'human_parts.loss_ce',
        'human_parts.acc_seg', 'sal.loss_balanced_bce',
        'edge.loss_weighted_bce', 'normals.loss_l1', 'depth.loss_l1'
    }
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert model.task_weights == {t: TASKS[t].loss_weight for t in model.tasks}
    # the head of each task got the task's name from its key
    assert model.decode_heads['sal'].task == 'sal'
    assert isinstance(model.decode_heads['sal'], MultiScaleFusionHead)


def test_task_weight_scales_loss_items_only():
    tasks = ('semseg', 'sal', 'normals')
    base = _model(tasks).eval()
    heavy = _model(tasks, task_weights=dict(sal=10.0, semseg=2.0)).eval()
    heavy.load_state_dict(base.state_dict())
    assert heavy.task_weights == dict(semseg=2.0, sal=10.0, normals=10.0)
    inputs, samples = _batch(tasks)
    a = base.loss(inputs, samples)
    b = heavy.loss(inputs, samples)
    # sal default weight 5 -> 10; semseg 1 -> 2: both entries double
    assert b['sal.loss_balanced_bce'].item() == pytest.approx(
        2 * a['sal.loss_balanced_bce'].item(), rel=1e-5)
    assert b['semseg.loss_ce'].item() == pytest.approx(
        2 * a['semseg.loss_ce'].item(), rel=1e-5)
    assert b['normals.loss_l1'].item() == pytest.approx(
        a['normals.loss_l1'].item(), rel=1e-5)
    # accuracy is not a loss: unweighted
    assert b['semseg.acc_seg'].item() == pytest.approx(
        a['semseg.acc_seg'].item())


def test_default_weight_is_applied():
    model = _model(('normals', )).eval()
    inputs, samples = _batch(('normals', ))
    losses = model.loss(inputs, samples)
    feats = model.extract_feat(inputs)['normals']
    raw = model.decode_heads['normals'].loss(
        feats, model._task_samples(samples, 'normals'), None)
    assert losses['normals.loss_l1'].item() == pytest.approx(
        10.0 * raw['loss_l1'].item(), rel=1e-5)


def test_shared_list_backbone_with_stock_swin():
    swin = dict(
        type='SwinTransformer',
        embed_dims=24,
        depths=(1, 1, 1, 1),
        num_heads=(1, 2, 4, 8),
        window_size=4,
        drop_path_rate=0.0)
    channels = [24, 48, 96, 192]
    model = MultiTaskEncoderDecoder(
        backbone=swin,
        decode_heads=dict(
            semseg=dict(
                type='UPerHead',
                in_channels=channels,
                in_index=[0, 1, 2, 3],
                channels=8,
                pool_scales=(1, 2),
                num_classes=4,
                norm_cfg=BN),
            sal=dict(
                type='MultiScaleFusionHead', in_channels=channels,
                channels=8)))
    inputs, samples = _batch(('semseg', 'sal'), h=32, w=32)
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'semseg.loss_ce', 'semseg.acc_seg', 'sal.loss_balanced_bce'
    }
    model.eval()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert out[0].pred_semseg.data.shape == (1, 32, 32)
    assert out[0].pred_semseg.data.dtype == torch.int64
    assert out[0].pred_sal.data.shape == (1, 32, 32)


def test_training_lowers_loss():
    tasks = ('semseg', 'sal', 'normals', 'depth')
    model = _model(tasks)
    inputs, samples = _batch(tasks, h=32, w=32)
    # learnable targets: left/right halves, a fixed normal, a fixed depth
    for sample in samples:
        halves = torch.zeros(1, 32, 32, dtype=torch.long)
        halves[..., 16:] = 1
        sample.set_task_gt('semseg', halves * 2)
        sample.set_task_gt('sal', halves)
        sample.set_task_gt(
            'normals',
            F.normalize(torch.tensor([0.3, -0.2, 1.0]),
                        dim=0).view(3, 1, 1).expand(3, 32, 32).clone())
        sample.set_task_gt('depth', torch.full((1, 32, 32), 2.5))
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    data = dict(inputs=inputs, data_samples=samples)
    totals = []
    for _ in range(10):
        log_vars = model.train_step(data, optim)
        totals.append(log_vars['loss'].item())
    assert totals[-1] < 0.7 * totals[0], totals


# ------------------------------------------------------------------ errors
def test_construction_errors():
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        MultiTaskEncoderDecoder(
            backbone=dict(type='_TestFeatBackbone'),
            decode_heads=dict(segm=HEADS['semseg']))
    with pytest.raises(ValueError, match='non-empty dict'):
        MultiTaskEncoderDecoder(
            backbone=dict(type='_TestFeatBackbone'), decode_heads=dict())
    with pytest.raises(ValueError, match='no decode head'):
        _model(('sal', ), task_weights=dict(depth=1.0))
    with pytest.raises(ValueError, match='>= 0'):
        _model(('sal', ), task_weights=dict(sal=-1.0))
    with pytest.raises(ValueError, match="class-map loss path"):
        MultiTaskEncoderDecoder(
            backbone=dict(type='_TestFeatBackbone'),
            decode_heads=dict(sal=dict(HEADS['semseg'], num_classes=1)))
    with pytest.raises(ValueError, match="configured for task 'edge'"):
        MultiTaskEncoderDecoder(
            backbone=dict(type='_TestFeatBackbone'),
            decode_heads=dict(sal=_fusion(task='edge')))
    with pytest.raises(KeyError, match="unknown head type 'NoHead'"):
        MultiTaskEncoderDecoder(
            backbone=dict(type='_TestFeatBackbone'),
            decode_heads=dict(sal=dict(type='NoHead')))
    with pytest.raises(ValueError, match=r"of \['depth'\] get no backbone"):
        _model(('sal', 'depth'), backbone_tasks=('sal', ))
    with pytest.raises(ValueError, match=r"\['edge'\] have no decode head"):
        _model(('sal', 'depth'), backbone_tasks=('sal', 'depth', 'edge'))


def test_runtime_errors():
    # a sample without the task's ground truth
    model = _model(('sal', 'depth'))
    inputs, samples = _batch(('sal', ))
    with pytest.raises(KeyError, match="has no 'gt_depth'"):
        model.loss(inputs, samples)
    # a dict backbone (not advertising tasks) without a task's features
    model = MultiTaskEncoderDecoder(
        backbone=dict(type='_TestSalOnlyBackbone'),
        decode_heads=dict(sal=_fusion(), depth=_fusion()))
    inputs, samples = _batch(('sal', 'depth'))
    with pytest.raises(KeyError, match="'depth' needs its own"):
        model.loss(inputs, samples)
    model = _model(('sal', ), test_cfg=dict(mode='grid'))
    with pytest.raises(ValueError, match="'whole' or 'slide'"):
        model.predict(*_batch(('sal', )))


# ----------------------------------------------------------------- predict
def test_predict_contract():
    model = _model().eval()
    inputs, samples = _batch(model.tasks, h=32, w=48, ori_shape=(20, 30))
    with torch.no_grad():
        out = model.predict(inputs, samples)
    for sample in out:
        assert sample.pred_semseg.data.shape == (1, 20, 30)
        assert sample.pred_semseg.data.dtype == torch.int64
        assert sample.pred_semseg.data.max() < 4
        assert sample.pred_human_parts.data.dtype == torch.int64
        for task in ('sal', 'edge'):
            prob = sample.task_pred(task)
            assert prob.shape == (1, 20, 30)
            assert prob.is_floating_point()
            assert 0 <= prob.min() and prob.max() <= 1
        normals = sample.pred_normals.data
        assert normals.shape == (3, 20, 30)
        assert torch.allclose(
            normals.norm(dim=0), torch.ones(20, 30), atol=1e-5)
        depth = sample.pred_depth.data
        assert depth.shape == (1, 20, 30)
        assert depth.min() >= 0
        assert 'seg_logits_sal' not in sample


def _pattern_model(**kwargs):
    return MultiTaskEncoderDecoder(
        backbone=dict(type='_TestIdentityBackbone'),
        decode_heads=dict(
            semseg=dict(type='_TestPatternHead', num_classes=3),
            sal=dict(type='_TestPatternHead'),
            normals=dict(type='_TestPatternHead'),
            depth=dict(type='_TestPatternHead')),
        **kwargs).eval()


def _pattern_image(h=8, w=12):
    torch.manual_seed(3)
    return torch.randn(1, 3, h, w)


def _expect(region):
    """Finalised predictions of the pattern heads for an image region."""
    return dict(
        semseg=region[0].argmax(0, keepdim=True),
        sal=region[0, :1].sigmoid(),
        normals=F.normalize(region[0], dim=0),
        depth=region[0, :1].clamp(min=0))


def _predict(model, img, **meta):
    sample = MultiTaskDataSample(metainfo=meta)
    with torch.no_grad():
        return model.predict(img, [sample])[0]


@pytest.mark.parametrize('padding', [[0, 4, 0, 2], [3, 1, 2, 0]])
def test_predict_removes_padding(padding):
    left, right, top, bottom = padding
    img = _pattern_image()
    img[:, :, :top] = 100.
    img[:, :, 8 - bottom:] = -100.
    img[:, :, :, :left] = 50.
    img[:, :, :, 12 - right:] = -50.
    region = img[:, :, top:8 - bottom, left:12 - right]
    out = _predict(
        _pattern_model(),
        img,
        ori_shape=region.shape[2:],
        padding_size=padding)
    for task, expected in _expect(region).items():
        assert torch.allclose(out.task_pred(task), expected, atol=1e-6), task
    # ignoring the padding would have mixed in the padded values
    naive = F.interpolate(
        img, size=region.shape[2:], mode='bilinear', align_corners=False)
    assert not torch.allclose(naive, region)


def test_predict_prefers_img_padding_size():
    img = _pattern_image()
    img[:, :, 6:] = 100.
    out = _predict(
        _pattern_model(),
        img,
        ori_shape=(6, 12),
        padding_size=[0, 0, 0, 0],
        img_padding_size=[0, 0, 0, 2])
    expected = _expect(img[:, :, :6])
    assert torch.allclose(out.pred_normals.data, expected['normals'])


def test_predict_resizes_to_ori_shape():
    img = _pattern_image()
    out = _predict(
        _pattern_model(), img, ori_shape=(16, 24), padding_size=[0, 4, 0, 0])
    up = F.interpolate(
        img[:, :, :, :8], size=(16, 24), mode='bilinear', align_corners=False)
    for task, expected in _expect(up).items():
        assert torch.allclose(out.task_pred(task), expected, atol=1e-6), task


def test_predict_undoes_horizontal_flip_and_normal_sign():
    img = _pattern_image()
    out = _predict(
        _pattern_model(),
        img,
        ori_shape=(8, 12),
        flip=True,
        flip_direction='horizontal')
    flipped = img.flip(dims=(3, ))
    expected = _expect(flipped)
    # the normal x component is negated, the others are not
    sign = torch.tensor([-1.0, 1.0, 1.0]).view(3, 1, 1)
    assert torch.allclose(
        out.pred_normals.data, expected['normals'] * sign, atol=1e-6)
    for task in ('semseg', 'sal', 'depth'):
        assert torch.equal(out.task_pred(task), expected[task]), task


def test_predict_undoes_vertical_flip():
    img = _pattern_image()
    out = _predict(
        _pattern_model(),
        img,
        ori_shape=(8, 12),
        flip=True,
        flip_direction='vertical')
    expected = _expect(img.flip(dims=(2, )))
    for task in expected:
        assert torch.allclose(out.task_pred(task), expected[task]), task
    with pytest.raises(ValueError, match='flip_direction'):
        _predict(
            _pattern_model(),
            img,
            ori_shape=(8, 12),
            flip=True,
            flip_direction='diagonal')


def test_predict_without_samples_and_logits_output():
    img = _pattern_image()
    out = _pattern_model(output_logits=True).predict(img)
    assert isinstance(out[0], MultiTaskDataSample)
    expected = _expect(img)
    for task in expected:
        assert torch.allclose(out[0].task_pred(task), expected[task]), task
    assert torch.allclose(out[0].seg_logits_normals.data, img[0], atol=1e-6)


def test_slide_inference_matches_whole():
    img = _pattern_image(10, 13)
    whole = _predict(_pattern_model(), img, ori_shape=(10, 13))
    slide_model = _pattern_model(
        test_cfg=dict(mode='slide', crop_size=(4, 5), stride=(3, 3)))
    slide = _predict(slide_model, img, ori_shape=(10, 13))
    for task in ('semseg', 'sal', 'normals', 'depth'):
        assert torch.allclose(
            slide.task_pred(task).float(),
            whole.task_pred(task).float(),
            atol=1e-6), task


def test_encode_decode_and_forward():
    model = _model(('semseg', 'normals')).eval()
    inputs, samples = _batch(('semseg', 'normals'), n=1, h=32, w=64)
    metas = [s.metainfo for s in samples]
    logits = model.encode_decode(inputs, metas)
    assert set(logits) == {'semseg', 'normals'}
    assert logits['semseg'].shape == (1, 4, 32, 64)
    assert logits['normals'].shape == (1, 3, 32, 64)
    raw = model(inputs, mode='tensor')
    assert set(raw) == {'semseg', 'normals'}
    assert raw['normals'].shape == (1, 3, 8, 16)
    assert raw['semseg'].shape == (1, 4, 1, 2)


def test_flops_counting():
    model = _model(('sal', 'normals')).eval()
    info = get_model_complexity_info(
        model,
        inputs=(torch.randn(1, 3, 32, 32), ),
        show_table=False,
        show_arch=False)
    assert info['flops'] > 0
    assert info['params'] == sum(p.numel() for p in model.parameters())


def test_mixed_stock_and_fusion_heads_predict():
    model = _model(('semseg', 'human_parts', 'sal')).eval()
    inputs, samples = _batch(model.tasks, n=1, h=32, w=32)
    with torch.no_grad():
        out = model.predict(inputs, copy.deepcopy(samples))
    assert out[0].pred_semseg.data.shape == (1, 32, 32)
    assert out[0].pred_human_parts.data.max() < 7
    assert out[0].pred_sal.data.shape == (1, 32, 32)


def test_with_vmt_swin_backbone():
    from mmvmt.models.backbones import VMTSwinTransformer
    tasks = ('semseg', 'sal', 'normals')
    channels = [24, 48, 96, 192]
    backbone = dict(
        type='VMTSwinTransformer',
        embed_dims=24,
        depths=(1, 1, 1, 1),
        num_heads=(1, 2, 4, 8),
        window_size=4)
    heads = dict(
        semseg=_fusion(in_channels=channels, num_classes=4),
        sal=_fusion(in_channels=channels),
        normals=_fusion(in_channels=channels))
    torch.manual_seed(0)
    model = MultiTaskEncoderDecoder(backbone=backbone, decode_heads=heads)
    model.init_weights()
    assert isinstance(model.backbone, VMTSwinTransformer)
    assert model.backbone.tasks == tasks  # from the keys of decode_heads
    inputs, samples = _batch(tasks, h=32, w=32)
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'semseg.loss_ce', 'semseg.acc_seg', 'sal.loss_balanced_bce',
        'normals.loss_l1'
    }
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    grads = {
        name: p.grad
        for name, p in model.backbone.named_parameters() if p.requires_grad
    }
    assert grads and all(g is not None for g in grads.values())
    model.eval()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert out[0].pred_normals.data.shape == (3, 32, 32)
    with pytest.raises(ValueError, match=r"of \['normals'\] get no"):
        MultiTaskEncoderDecoder(
            backbone=dict(backbone, tasks=('semseg', 'sal')),
            decode_heads=heads)


@pytest.mark.parametrize('head', [
    HEADS['semseg'],
    dict(HEADS['human_parts'], num_classes=4),
    dict(
        type='SegformerHead',
        in_channels=IN_CHANNELS,
        in_index=[0, 1, 2, 3],
        channels=8,
        num_classes=4,
        norm_cfg=BN),
])
def test_stock_heads_serve_class_tasks(head):
    model = MultiTaskEncoderDecoder(
        backbone=dict(type='_TestFeatBackbone'),
        decode_heads=dict(semseg=head, depth=_fusion()))
    inputs, samples = _batch(('semseg', 'depth'), h=32, w=32)
    losses = model.loss(inputs, samples)
    assert {'semseg.loss_ce', 'semseg.acc_seg', 'depth.loss_l1'} == set(losses)
    model.eval()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    pred = out[1].pred_semseg.data
    assert pred.shape == (1, 32, 32) and pred.dtype == torch.int64


def test_with_multitask_data_preprocessor():
    # BaseModel builds the preprocessor in the default scope (set by Runner)
    init_default_scope('mmseg')
    tasks = ('semseg', 'sal', 'normals', 'depth')
    model = _model(
        tasks,
        data_preprocessor=dict(
            type='MultiTaskDataPreProcessor',
            mean=[120.0, 120.0, 120.0],
            std=[60.0, 60.0, 60.0],
            size_divisor=32,
            test_cfg=dict(size_divisor=32)))
    torch.manual_seed(2)
    sizes = [(40, 56), (32, 48)]
    imgs, samples = [], []
    for h, w in sizes:
        imgs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = MultiTaskDataSample(
            metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        for task in tasks:
            sample.set_task_gt(task, _gt(task, h, w))
        samples.append(sample)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(
        dict(inputs=imgs, data_samples=copy.deepcopy(samples)), optim)
    assert torch.isfinite(log_vars['loss'])
    model.eval()
    out = model.test_step(dict(inputs=imgs, data_samples=samples))
    for (h, w), sample in zip(sizes, out):
        assert sample.pred_semseg.data.shape == (1, h, w)
        assert sample.pred_normals.data.shape == (3, h, w)
        assert sample.pred_depth.data.shape == (1, h, w)


def test_all_ignored_batch_gives_zero_finite_losses():
    tasks = ('human_parts', 'sal', 'normals', 'depth')
    model = _model(tasks)
    inputs, samples = _batch(tasks, h=32, w=32)
    for sample in samples:
        for task in tasks:
            gt = sample.task_gt(task)
            sample.set_task_gt(task,
                               torch.full_like(gt, TASKS[task].ignore_value))
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert total.item() == 0
    assert all(torch.isfinite(v).all() for v in losses.values())
    total.backward()
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)
