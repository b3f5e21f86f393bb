"""Tests of VMTSwinTransformer: exactness at init, freezing, loading, speed
formulation and compatibility with stock mmseg segmentors."""
import copy
import logging
import uuid
from typing import Dict, List

import pytest
import torch
from mmengine.logging import MMLogger
from mmseg.models.backbones import SwinTransformer
from mmseg.registry import MODELS
from torch import Tensor

from mmvmt.models.adapters import BaseTaskExtraction
from mmvmt.models.backbones import VMTSwinTransformer

torch.set_num_threads(1)

TASKS4 = ('semseg', 'human_parts', 'sal', 'normals')
TASKS_BY_T = {1: ('semseg', ), 2: ('semseg', 'normals'), 4: TASKS4}
VMT = dict(type='VMTAdapter', reduction=16, lite=False)
LITE = dict(type='VMTAdapter', reduction=16, lite=True)

#: Tiny Swin: stage widths 32/64/128/256, bottlenecks k = 2/4/8/16 (r=16);
#: dropout and drop path on, to check they stay off in the frozen backbone.
TINY = dict(
    embed_dims=32,
    depths=(2, 2, 2, 2),
    num_heads=(1, 2, 2, 4),
    window_size=7,
    drop_rate=0.1,
    attn_drop_rate=0.1,
    drop_path_rate=0.3)
WIDTHS = (32, 64, 128, 256)
KS = (2, 4, 8, 16)


# ----------------------------------------------------------------------------
# helpers
def randomize_(module: torch.nn.Module,
               seed: int = 0,
               std: float = 0.05) -> None:
    """Perturb every parameter (norms and bias tables included)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * std)


def randomize_added_(model: VMTSwinTransformer, seed: int = 1) -> None:
    """Give adapters, extraction modules and task norms non-zero values."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if model.is_added_param(name):
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)


def stock_swin(seed: int = 0, **kwargs) -> SwinTransformer:
    """A stock mmseg Swin with random weights (all parameters perturbed)."""
    torch.manual_seed(seed)
    model = SwinTransformer(**dict(TINY, **kwargs))
    model.init_weights()
    randomize_(model, seed)
    model.eval()  # mmseg's Swin.train() returns None: no chaining
    return model


def save(obj, tmp_path, name='swin.pth') -> str:
    path = str(tmp_path / name)
    torch.save(obj, path)
    return path


def vmt_from(path, tasks=TASKS4, adapter_cfg=VMT, **kwargs):
    model = VMTSwinTransformer(
        tasks=tasks,
        adapter_cfg=adapter_cfg,
        init_cfg=dict(type='Pretrained', checkpoint=path),
        **dict(TINY, **kwargs))
    model.init_weights()
    return model


def as_dict(model, outs) -> Dict[str, List[Tensor]]:
    if isinstance(outs, dict):
        return outs
    assert isinstance(outs, list) and len(model.tasks) == 1
    return {model.tasks[0]: outs}


def assert_equal_to_stock(model, stock, img):
    with torch.no_grad():
        ref = stock(img)
        outs = as_dict(model, model(img))
    assert list(outs) == list(model.tasks)
    for task, feats in outs.items():
        assert len(feats) == len(ref)
        for feat, r in zip(feats, ref):
            assert feat.shape == r.shape
            assert torch.equal(feat, r), task


def _to_nchw(x: Tensor, hw_shape) -> Tensor:
    return x.view(x.shape[0], *hw_shape, x.shape[-1]).permute(0, 3, 1, 2)


def naive_vmt_forward(model, img: Tensor) -> Dict[str, List[Tensor]]:
    """docs/design.md section 3, literally: per block and per task, full width.

    Reads the adapter parameters directly (not through the adapter's own
    forward) and keeps one full-width side stream per task.
    """
    tasks = model.tasks
    num_tasks = len(tasks)
    x, hw_shape = model.patch_embed(img)
    outs = {task: [] for task in tasks}
    for i, stage in enumerate(model.stages):
        side = [torch.zeros_like(x) for _ in tasks]
        for block in stage.blocks:
            ad = block.adapter
            x1 = x + block.attn(block.norm1(x), hw_shape)
            u = block.norm2(x1)
            h = ad.act(u @ ad.down.weight.t() + ad.down.bias)
            w_up = ad.down.weight if ad.lite else ad.up.weight.t()
            b_up = ad.up_bias if ad.lite else ad.up.bias
            ext = ad.extraction
            if hasattr(ext, 'gamma'):
                e = [ext.gamma[t] * h + ext.beta[t] for t in range(num_tasks)]
            else:
                e = list(ext(h).unbind(0))
            e_bar = sum(e) / num_tasks
            x = block.ffn(u, identity=x1) + ad.scale * (e_bar @ w_up + b_up)
            for t in range(num_tasks):
                side[t] = side[t] + ad.scale * ((e[t] - e_bar) @ w_up)
        if i in model.out_indices:
            for t, task in enumerate(tasks):
                norm = model.task_norms[task][f'norm{i}']
                outs[task].append(_to_nchw(norm(x + side[t]), hw_shape))
        if stage.downsample:
            x, hw_shape = stage.downsample(x, hw_shape)
    return outs


class LogCapture(logging.Handler):
    """Collects the messages of a fresh current MMLogger."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []
        self.logger = MMLogger.get_instance(f'test-vmt-{uuid.uuid4().hex}')
        self.logger.addHandler(self)

    def emit(self, record):
        self.records.append(record)

    def text(self, level=logging.WARNING) -> str:
        return '\n'.join(r.getMessage() for r in self.records
                         if r.levelno >= level)


# ----------------------------------------------------------------------------
# exactness at initialisation
@pytest.mark.parametrize('adapter_cfg', [VMT, LITE], ids=['vmt', 'lite'])
@pytest.mark.parametrize('num_tasks', [1, 2, 4])
def test_init_equals_stock(tmp_path, adapter_cfg, num_tasks):
    stock = stock_swin()
    path = save(stock.state_dict(), tmp_path)
    model = vmt_from(path, TASKS_BY_T[num_tasks], adapter_cfg).eval()
    # the stock mmseg loader on the same file gives the same weights
    stock2 = SwinTransformer(
        **TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    stock2.init_weights()
    stock2.eval()
    img = torch.randn(2, 3, 64, 64)
    assert_equal_to_stock(model, stock, img)
    assert_equal_to_stock(model, stock2, img)
    # train mode: pretrained dropout / drop path stay off
    assert model.train() is model and model.training
    assert_equal_to_stock(model, stock, img)
    assert model.eval() is model and not model.training


@pytest.mark.parametrize('wrap', ['plain', 'state_dict', 'model', 'module'])
def test_init_equals_stock_checkpoint_wrappers(tmp_path, wrap):
    stock = stock_swin(seed=3)
    sd = stock.state_dict()
    ckpt = {
        'plain': sd,
        'state_dict': {
            'meta': {},
            'state_dict': {
                f'backbone.{k}': v
                for k, v in sd.items()
            }
        },
        'model': {
            'model': sd
        },
        'module': {
            'state_dict': {
                f'module.backbone.{k}': v
                for k, v in sd.items()
            }
        },
    }[wrap]
    model = vmt_from(save(ckpt, tmp_path), TASKS_BY_T[2], LITE).eval()
    assert_equal_to_stock(model, stock, torch.randn(1, 3, 56, 72))


@pytest.mark.parametrize('adapter_cfg', [VMT, LITE], ids=['vmt', 'lite'])
def test_load_state_dict_directly(adapter_cfg):
    stock = stock_swin(seed=1)
    model = VMTSwinTransformer(
        tasks=TASKS4, adapter_cfg=adapter_cfg, **TINY).eval()
    result = model.load_state_dict(stock.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys  # the adapters
    assert all('.adapter.' in k for k in result.missing_keys)
    for task in TASKS4:
        for i in range(4):
            assert torch.equal(model.task_norms[task][f'norm{i}'].weight,
                               getattr(stock, f'norm{i}').weight)
    assert_equal_to_stock(model, stock, torch.randn(1, 3, 64, 64))

    # a VMT state dict round-trips strictly, task norms included
    randomize_added_(model)
    other = VMTSwinTransformer(tasks=TASKS4, adapter_cfg=adapter_cfg, **TINY)
    other.load_state_dict(model.state_dict(), strict=True)
    for (n, a), b in zip(model.state_dict().items(),
                         other.state_dict().values()):
        assert torch.equal(a, b), n


def test_init_weights_without_checkpoint_keeps_zero_adapters():
    model = VMTSwinTransformer(tasks=TASKS_BY_T[2], **TINY)
    with torch.no_grad():
        for stage in model.stages:
            for block in stage.blocks:
                block.adapter.up.weight.fill_(1.)
    model.init_weights()  # mmseg's init re-initialises every nn.Linear
    for stage in model.stages:
        for block in stage.blocks:
            assert torch.count_nonzero(block.adapter.up.weight) == 0
            assert torch.count_nonzero(block.adapter.down.weight) > 0
    stock = SwinTransformer(**TINY)
    stock.eval()
    stock.load_state_dict({
        k: v
        for k, v in model.state_dict().items() if not model.is_added_param(k)
    })
    assert_equal_to_stock(model.eval(), stock, torch.randn(1, 3, 64, 64))


@pytest.mark.parametrize('adapter_cfg', [VMT, LITE], ids=['vmt', 'lite'])
def test_odd_input_size(tmp_path, adapter_cfg):
    stock = stock_swin(seed=2)
    model = vmt_from(
        save(stock.state_dict(), tmp_path), TASKS_BY_T[2], adapter_cfg).eval()
    img = torch.randn(1, 3, 97, 131)
    with torch.no_grad():
        outs = model(img)
    expected = [(1, 32, 25, 33), (1, 64, 13, 17), (1, 128, 7, 9),
                (1, 256, 4, 5)]
    for task in TASKS_BY_T[2]:
        assert [tuple(f.shape) for f in outs[task]] == expected
    assert_equal_to_stock(model, stock, img)
    # and with non-zero adapters, still the shapes (side streams batched)
    randomize_added_(model)
    with torch.no_grad():
        outs = model(img)
    assert [tuple(f.shape) for f in outs['normals']] == expected
    assert not torch.equal(outs['semseg'][0], outs['normals'][0])


# ----------------------------------------------------------------------------
# output format
def test_output_format():
    # built on its own (no tasks): one task, plain list, like a stock Swin
    default = VMTSwinTransformer(**TINY)
    assert default.tasks == ('semseg', )
    assert sorted(default.task_norms) == ['semseg']
    single = VMTSwinTransformer(tasks=('sal', ), **TINY).eval()
    img = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        outs = single(img)
    assert isinstance(outs, list) and len(outs) == 4
    single.always_dict = True
    with torch.no_grad():
        outs = single(img)
    assert list(outs) == ['sal'] and len(outs['sal']) == 4

    multi = VMTSwinTransformer(
        tasks=('normals', 'semseg'), out_indices=(1, 3), **TINY).eval()
    with torch.no_grad():
        outs = multi(img)
    assert list(outs) == ['normals', 'semseg']
    assert [f.shape[1] for f in outs['semseg']] == [64, 256]
    assert sorted(multi.task_norms['semseg']) == ['norm1', 'norm3']


def test_bad_arguments():
    with pytest.raises(KeyError, match='unknown task'):
        VMTSwinTransformer(tasks=('semseg', 'segsem'), **TINY)
    with pytest.raises(ValueError, match='duplicate'):
        VMTSwinTransformer(tasks=('sal', 'sal'), **TINY)
    with pytest.raises(ValueError, match='frozen_stages'):
        VMTSwinTransformer(tasks=('sal', ), frozen_stages=1, **TINY)
    with pytest.raises(ValueError, match='matches no parameter'):
        VMTSwinTransformer(
            tasks=('sal', ), trainable_patterns=('*nrom*', ), **TINY)
    with pytest.raises(ValueError, match='init_cfg'):
        VMTSwinTransformer(
            tasks=('sal', ), init_cfg=dict(type='Kaiming'), **TINY)


# ----------------------------------------------------------------------------
# freezing and training
def test_requires_grad_from_construction():
    model = VMTSwinTransformer(tasks=TASKS4, **TINY)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        n
        for n, _ in model.named_parameters()
        if '.adapter.' in n or n.startswith('task_norms.')
    }
    assert 'stages.0.blocks.0.adapter.down.weight' in trainable
    assert 'stages.3.blocks.1.adapter.extraction.gamma' in trainable
    assert 'task_norms.normals.norm2.bias' in trainable
    assert 'norm2.bias' not in trainable
    assert 'stages.0.blocks.0.ffn.layers.0.0.weight' not in trainable

    model = VMTSwinTransformer(
        tasks=TASKS4,
        trainable_patterns=('*norm*', 're:relative_position_bias_table$'),
        **TINY)
    trainable2 = {n for n, p in model.named_parameters() if p.requires_grad}
    extra = trainable2 - trainable
    assert 'norm2.bias' in extra
    assert 'stages.1.blocks.0.norm1.weight' in extra
    assert 'stages.1.downsample.norm.weight' in extra
    assert 'patch_embed.norm.weight' in extra
    assert 'stages.2.blocks.1.attn.w_msa.relative_position_bias_table' in extra
    assert all('norm' in n or 'relative_position_bias_table' in n
               for n in extra)


@pytest.mark.parametrize('adapter_cfg', [VMT, LITE], ids=['vmt', 'lite'])
def test_gradients_and_optimizer_steps(adapter_cfg):
    torch.manual_seed(0)
    model = VMTSwinTransformer(
        tasks=TASKS_BY_T[2], adapter_cfg=adapter_cfg, **TINY)
    model.init_weights()
    randomize_(model)  # (adapters are re-initialised below)
    for stage in model.stages:
        for block in stage.blocks:
            block.adapter.init_weights()
    model.train()
    img = torch.randn(2, 3, 32, 32)
    probes = None
    before = copy.deepcopy(model.state_dict())
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=0.5)

    def step():
        nonlocal probes
        outs = model(img)
        if probes is None:
            probes = {
                t: [torch.randn_like(f) for f in fs]
                for t, fs in outs.items()
            }
        loss = sum(
            (f * p).sum() for t in outs for f, p in zip(outs[t], probes[t]))
        optim.zero_grad()
        loss.backward()
        for name, p in model.named_parameters():
            assert (p.grad is not None) == p.requires_grad, name
        optim.step()

    step()
    after1 = copy.deepcopy(model.state_dict())
    changed1 = {k for k in before if not torch.equal(before[k], after1[k])}
    # zero-contribution init: the first step only moves the parameters
    # through which the (zero) adapter output depends linearly
    if adapter_cfg['lite']:
        assert {k
                for k in changed1 if '.adapter.' in k
                } == {k
                      for k in before if k.endswith('.adapter.scale')}
    else:
        assert {k
                for k in changed1 if '.adapter.' in k} == {
                    k
                    for k in before
                    if k.endswith(('.adapter.up.weight', '.adapter.up.bias'))
                }
    step()
    after2 = model.state_dict()
    for name, param in model.named_parameters():
        same = torch.equal(before[name], after2[name])
        assert same != param.requires_grad, name
    for name in before:  # buffers too
        if not model.is_added_param(name):
            assert torch.equal(before[name], after2[name]), name


# ----------------------------------------------------------------------------
# parameter counts
def added_params(model) -> Dict[str, int]:
    return {
        n: p.numel()
        for n, p in model.named_parameters() if model.is_added_param(n)
    }


def test_adding_a_task_adds_extraction_and_norms_only():
    one = VMTSwinTransformer(tasks=('semseg', ), **TINY)
    two = VMTSwinTransformer(tasks=('semseg', 'depth'), **TINY)
    n1 = sum(p.numel() for p in one.parameters())
    n2 = sum(p.numel() for p in two.parameters())
    depths = TINY['depths']
    extraction = sum(2 * k * d for k, d in zip(KS, depths))  # 2k per block
    norms = sum(2 * w for w in WIDTHS)  # one LN per output stage
    assert extraction == 120 and norms == 960
    assert n2 - n1 == extraction + norms
    p1 = dict(one.named_parameters())
    for name, p in two.named_parameters():
        if name.startswith('task_norms.depth.'):
            continue
        if name.endswith(('extraction.gamma', 'extraction.beta')):
            assert p.shape[0] == 2 and p1[name].shape[0] == 1
        else:
            assert p.shape == p1[name].shape, name


def test_lite_halves_adapter_params():
    tasks = TASKS_BY_T[4]
    vmt = VMTSwinTransformer(tasks=tasks, adapter_cfg=VMT, **TINY)
    lite = VMTSwinTransformer(tasks=tasks, adapter_cfg=LITE, **TINY)
    depths = TINY['depths']
    # per block: VMT 2dk + k + d + 2Tk ; Lite dk + k + d + 1 (scale) + 2Tk
    vmt_expected = sum(dep * (2 * d * k + k + d + 2 * 4 * k)
                       for d, k, dep in zip(WIDTHS, KS, depths))
    lite_expected = sum(dep * (d * k + k + d + 1 + 2 * 4 * k)
                        for d, k, dep in zip(WIDTHS, KS, depths))

    def adapters(model):
        return sum(v for n, v in added_params(model).items()
                   if '.adapter.' in n)

    assert adapters(vmt) == vmt_expected == 23260
    assert adapters(lite) == lite_expected == 12388
    projections = sum(dep * d * k for d, k, dep in zip(WIDTHS, KS, depths))
    assert adapters(vmt) - adapters(lite) == projections - sum(depths)


# ----------------------------------------------------------------------------
# the fast formulation equals the naive one
@MODELS.register_module(name='_TestTanhExtraction', force=True)
class _TanhExtraction(BaseTaskExtraction):
    """A non-affine extraction: only the generic base-class paths apply."""

    def __init__(self, num_tasks, channels, init_cfg=None):
        super().__init__(num_tasks, channels, init_cfg)
        self.weight = torch.nn.Parameter(torch.zeros(num_tasks, channels))

    def init_weights(self):
        torch.nn.init.zeros_(self.weight)

    def forward(self, h):
        return torch.tanh(
            h.unsqueeze(0) * self.weight.view(
                self.num_tasks, *([1] * (h.dim() - 1)), self.channels)) + h


@pytest.mark.parametrize(
    'adapter_cfg', [
        VMT, LITE,
        dict(type='VMTAdapter', scale=0.5, act_cfg=dict(type='ReLU')),
        dict(type='VMTAdapter', scale='learnable', reduction=8),
        dict(
            type='VMTAdapter', extraction_cfg=dict(type='_TestTanhExtraction'))
    ],
    ids=['vmt', 'lite', 'fixed-scale-relu', 'learnable-scale', 'tanh'])
@pytest.mark.parametrize('num_tasks', [1, 4])
def test_fast_equals_naive(adapter_cfg, num_tasks):
    torch.manual_seed(0)
    model = VMTSwinTransformer(
        tasks=TASKS_BY_T[num_tasks], adapter_cfg=adapter_cfg, **TINY)
    randomize_added_(model)
    model.double().eval()  # float64: reassociation errors far below 1e-9
    img = torch.randn(2, 3, 40, 56, dtype=torch.float64)
    with torch.no_grad():
        fast = as_dict(model, model(img))
        naive = naive_vmt_forward(model, img)
    for task in model.tasks:
        for f, n in zip(fast[task], naive[task]):
            assert f.shape == n.shape
            torch.testing.assert_close(f, n, rtol=1e-9, atol=1e-9)
    if num_tasks > 1:  # the side streams are really task-specific
        assert not torch.allclose(fast['semseg'][3], fast['normals'][3])


def test_with_cp_matches():
    torch.manual_seed(0)
    model = VMTSwinTransformer(tasks=TASKS_BY_T[2], **TINY)
    randomize_added_(model)
    cp_model = VMTSwinTransformer(tasks=TASKS_BY_T[2], with_cp=True, **TINY)
    cp_model.load_state_dict(model.state_dict())
    img = torch.randn(1, 3, 32, 32)
    grads = []
    for m in (model, cp_model):
        outs = m.eval()(img)
        sum(f.square().sum() for fs in outs.values() for f in fs).backward()
        grads.append(m.stages[0].blocks[0].adapter.down.weight.grad)
    torch.testing.assert_close(grads[0], grads[1])


# ----------------------------------------------------------------------------
# checkpoints
def test_shape_mismatch_fails_clearly(tmp_path):
    sd = stock_swin().state_dict()
    sd['stages.1.blocks.0.ffn.layers.1.weight'] = torch.zeros(64, 100)
    sd['norm0.weight'] = torch.zeros(33)
    path = save(sd, tmp_path)
    with pytest.raises(RuntimeError) as err:
        vmt_from(path)
    msg = str(err.value)
    assert path in msg
    # torch names every mismatched key with both shapes
    mismatches = [
        ('stages.1.blocks.0.ffn.layers.1.weight', '[64, 100]', '[64, 256]'),
        ('norm0.weight', '[33]', '[32]'),
    ]
    for key, ckpt, model in mismatches:
        assert f'size mismatch for {key}: ' in msg
        assert f'shape torch.Size({ckpt}) from checkpoint' in msg
        assert f'current model is torch.Size({model})' in msg
    # a checkpoint of another architecture (more heads) fails as well
    path = save(
        stock_swin(num_heads=(2, 2, 2, 4)).state_dict(), tmp_path, 'heads.pth')
    with pytest.raises(RuntimeError, match='relative_position_bias_table'):
        vmt_from(path)


def test_missing_and_unexpected_keys_are_logged(tmp_path):
    stock = stock_swin()
    sd = stock.state_dict()
    del sd['stages.0.blocks.1.norm2.bias']
    sd['stages.0.blocks.1.extra.weight'] = torch.zeros(3)
    path = save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in sd.items()
            },
            'meta': {}
        }, tmp_path)
    capture = LogCapture()
    vmt_from(path, TASKS_BY_T[2])
    warnings = capture.text()
    assert 'missing' in warnings
    assert "'stages.0.blocks.1.norm2.bias'" in warnings
    assert 'unexpected' in warnings
    assert "'stages.0.blocks.1.extra.weight'" in warnings
    assert 'adapter' not in warnings and 'task_norms' not in warnings

    capture = LogCapture()
    vmt_from(save(stock.state_dict(), tmp_path, 'clean.pth'), TASKS_BY_T[2])
    assert capture.text() == ''
    assert 'loaded' in capture.text(logging.INFO)


def test_original_swin_layout_is_rejected(tmp_path):
    path = save(
        {'model': {
            'layers.0.blocks.0.mlp.fc1.weight': torch.zeros(4, 4)
        }}, tmp_path)
    with pytest.raises(ValueError, match='swin2mmseg'):
        vmt_from(path)


def mmpretrain_swin(seed=0):
    from mmpretrain.models import SwinTransformer as PretrainSwin
    torch.manual_seed(seed)
    model = PretrainSwin(
        arch=dict(
            embed_dims=TINY['embed_dims'],
            depths=list(TINY['depths']),
            num_heads=list(TINY['num_heads'])),
        window_size=7,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        drop_path_rate=0.)
    model.init_weights()
    randomize_(model, seed)
    model.eval()
    return model


def test_mmpretrain_layout(tmp_path):
    pre = mmpretrain_swin()
    sd = {f'backbone.{k}': v for k, v in pre.state_dict().items()}
    sd['head.fc.weight'] = torch.randn(10, 256)
    sd['head.fc.bias'] = torch.randn(10)
    sd['data_preprocessor.mean'] = torch.zeros(3)
    path = save({
        'meta': {
            'mmpretrain_version': '1.2.0'
        },
        'state_dict': sd
    }, tmp_path)
    capture = LogCapture()
    model = vmt_from(path, TASKS_BY_T[2], LITE).eval()
    assert capture.text() == ''  # nothing missing / unexpected
    assert 'head.fc.weight' in capture.text(logging.INFO)

    # identical to stock mmseg Swin given the same weights
    stock = SwinTransformer(**TINY)
    stock.eval()
    stock.load_state_dict(
        {
            k[len('backbone.'):]: v
            for k, v in sd.items() if k.startswith('backbone.')
        },
        strict=True)
    img = torch.randn(1, 3, 64, 80)
    assert_equal_to_stock(model, stock, img)
    # and it computes what mmpretrain's own Swin computes
    with torch.no_grad():
        ref = pre(img)
        outs = model(img)
    for f, r in zip(outs['normals'], ref):
        torch.testing.assert_close(f, r, rtol=1e-5, atol=1e-5)

    # version-1 layout: final norm named 'norm', attn_mask buffers stored
    sd1 = {
        k.replace('backbone.norm3.', 'backbone.norm.'): v
        for k, v in sd.items()
    }
    sd1['backbone.stages.0.blocks.1.attn.attn_mask'] = torch.zeros(4, 49, 49)
    model1 = vmt_from(
        save({'state_dict': sd1}, tmp_path, 'v1.pth'), TASKS_BY_T[2],
        LITE).eval()
    assert_equal_to_stock(model1, stock, img)


def test_relative_position_tables_resized_as_mmseg(tmp_path):
    # mmseg's own Swin loader resizes the tables of a window-7 checkpoint to
    # the model's window (bicubic); the VMT loader must give the same
    # weights. (mmseg's loader cannot drop the index buffers: leave them
    # out of the checkpoint.)
    sd = {
        k: v
        for k, v in stock_swin().state_dict().items()
        if not k.endswith('relative_position_index')
    }
    path = save(sd, tmp_path)
    stock = SwinTransformer(
        **dict(TINY, window_size=5),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    stock.init_weights()
    stock.eval()
    model = vmt_from(path, TASKS_BY_T[2], window_size=5).eval()
    key = 'stages.0.blocks.0.attn.w_msa.relative_position_bias_table'
    assert model.state_dict()[key].shape == (81, 1)
    for name, value in stock.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name
    assert_equal_to_stock(model, stock, torch.randn(1, 3, 48, 48))


# ----------------------------------------------------------------------------
# stock mmseg segmentor
def test_single_task_in_stock_encoder_decoder():
    from mmengine.registry import DefaultScope
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = _build_encoder_decoder()
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 64, 64)))
        samples.append(sample)
    data = model.data_preprocessor(
        dict(
            inputs=[
                torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                for _ in range(2)
            ],
            data_samples=samples),
        training=True)
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['decode.loss_ce'])
    losses['decode.loss_ce'].backward()
    assert model.backbone.stages[0].blocks[0].adapter.scale.grad is not None
    assert model.backbone.patch_embed.projection.weight.grad is None
    model.eval()
    with torch.no_grad():
        preds = model.predict(data['inputs'], data['data_samples'])
    assert preds[0].seg_logits.data.shape == (5, 64, 64)
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)


def _build_encoder_decoder():
    from mmengine.config import ConfigDict
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                size=(64, 64)),
            backbone=dict(type='VMTSwinTransformer', adapter_cfg=LITE, **TINY),
            decode_head=dict(
                type='UPerHead',
                in_channels=list(WIDTHS),
                in_index=[0, 1, 2, 3],
                pool_scales=(1, 2),
                channels=16,
                num_classes=5,
                norm_cfg=dict(type='BN', requires_grad=True),
                loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
            train_cfg=ConfigDict(),
            test_cfg=ConfigDict(mode='whole')))
    model.init_weights()
    return model
