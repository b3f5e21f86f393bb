"""Polyhistor-Lite: closed-form count, identity at init, training, config."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmseg.registry import MODELS
from peft_cases import (SWIN_T, TINY_SWIN, peft_cfg, randomised_state,
                        tiny_batch)
from test_baseline_configs import BASELINES, REPO, SAME, VMT, VMT_ONLY
from tiny_models import tiny_model_cfg

from mmvmt.models.peft import PolyhistorLite

TASKS = ('semseg', 'sal', 'normals')
#: Small sizes for the tiny Swin (widths 16, 32, 64, 128; depths 1, 1, 2, 1).
TINY = dict(
    type='PolyhistorLite',
    reduction=4,
    rank=2,
    task_dims=8,
    layer_dims=8,
    proj_hidden=16,
    z_dims=8)
CONFIG = 'polyhistor-lite_swin-t_4xb8-40k_pascal-context-mt-448x448.py'


def closed_form(num_tasks,
                num_layers,
                scales,
                d_t,
                n_t,
                rank=8,
                e_t=64,
                e_l=64,
                h=128,
                e_z=64):
    """The docstring's formula (``scales``: the ``k_l`` of the layers)."""
    return (num_tasks * e_t + num_layers * e_l + (e_t + e_l) * h + h +
            h * e_z + e_z + 2 * (e_z + 1) * rank * (d_t + n_t) +
            2 * sum(k * k for k in scales))


def _tiny(per_task=True, tasks=TASKS, method=TINY):
    torch.manual_seed(0)
    return MODELS.build(peft_cfg(dict(method), per_task=per_task, tasks=tasks))


@pytest.mark.parametrize('per_task, expected', [(True, 1394), (False, 1378)])
def test_tiny_count_is_the_closed_form(per_task, expected):
    # By hand: 3 x 8 task + 5 x 8 layer embeddings, projector
    # 16 x 16 + 16 + 16 x 8 + 8 = 408, heads 2 x 9 x 2 x (16 + 4) = 720,
    # scaling kernels 2 x (1 + 4 + 16 + 16 + 64) = 202.
    model = _tiny(per_task)
    assert model.num_trainable() == expected
    assert expected == closed_form(
        3 if per_task else 1,
        5, [1, 2, 4, 4, 8],
        16,
        4,
        rank=2,
        e_t=8,
        e_l=8,
        h=16,
        e_z=8)


@pytest.mark.parametrize('per_task, expected', [(True, 151060),
                                                (False, 150868)])
def test_swin_t_count_is_the_docstring_figure(per_task, expected):
    tasks = ('semseg', 'human_parts', 'sal', 'normals')
    model = MODELS.build(
        peft_cfg(
            dict(type='PolyhistorLite'),
            swin=SWIN_T,
            per_task=per_task,
            tasks=tasks))
    assert model.num_trainable() == expected
    scales = [1] * 2 + [2] * 2 + [4] * 6 + [8] * 2
    assert expected == closed_form(4 if per_task else 1, 12, scales, 96, 24)


def test_shared_parts_are_registered_once():
    model = _tiny()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    hyper = [n for n in names if '.hyper.' in n]
    assert all(
        n.startswith('peft.semseg.stages__0__blocks__0__ffn__layers.')
        for n in hyper)
    owner = 'peft.semseg.stages__0__blocks__0__ffn__layers.hyper.'
    assert owner + 'task_embeds.2' in hyper
    scales = [n for n in names if '.scale_' in n]
    assert len(scales) == 2 * 5 and all('peft.semseg.' in n for n in scales)
    # Every task's delta of a layer uses the same hyper-network and kernels.
    deltas = [
        model.peft[t]['stages__3__blocks__0__ffn__layers'] for t in TASKS
    ]
    assert [d.task for d in deltas] == [0, 1, 2]
    assert all(d._hyper[0] is deltas[0]._hyper[0] for d in deltas)
    assert all(d._scales[0] is deltas[0].scale_down for d in deltas)


def test_weights_are_kronecker_scaled_templates():
    model = _tiny()
    with torch.no_grad():
        for p in model.peft.parameters():
            p.normal_()
    delta = model.peft['sal']['stages__3__blocks__0__ffn__layers']
    w_down, w_up = delta.weights()
    assert w_down.shape == (32, 128) and w_up.shape == (128, 32)
    k_down, k_up = delta._hyper[0](1, delta.layer)
    assert k_down.shape == (4, 16) and torch.linalg.matrix_rank(k_down) == 2
    s_down, s_up = delta._scales
    for i in range(8):
        for j in range(8):
            assert torch.allclose(w_down[4 * i:4 * i + 4, 16 * j:16 * j + 16],
                                  s_down[i, j] * k_down)
            assert torch.allclose(w_up[16 * i:16 * i + 16, 4 * j:4 * j + 4],
                                  s_up[i, j] * k_up)


def test_init_equals_stock_and_tasks_diverge_after_training_values():
    torch.manual_seed(0)
    stock = MODELS.build(TINY_SWIN)
    stock.load_state_dict(randomised_state(stock))
    stock.eval()
    model = _tiny()
    model.backbone.load_state_dict(stock.state_dict())
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = stock(x)
        out = model(x)
        assert list(out) == list(TASKS)
        for task in TASKS:
            assert all(torch.equal(a, b) for a, b in zip(out[task], ref))
        for p in model.peft.parameters():  # as after some training
            p.add_(torch.randn_like(p) * 0.1)
        out = model(x)
    last = [out[t][-1] for t in TASKS]
    assert not torch.allclose(last[0], ref[-1])
    assert not torch.allclose(last[0], last[1])
    # The state dict carries the shared parts once and restores them.
    clone = _tiny()
    clone.load_state_dict(model.state_dict())
    clone.eval()
    with torch.no_grad():
        again = clone(x)
    assert all(torch.equal(again[t][-1], out[t][-1]) for t in TASKS)


def test_training_reaches_exactly_the_trainable_set_and_lowers_loss():
    cfg = tiny_model_cfg(('semseg', 'normals'))
    cfg['backbone'] = peft_cfg(dict(TINY), per_task=True, tasks=None)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    frozen = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if not p.requires_grad
    }
    trainable = {
        n: p.detach().clone()
        for n, p in model.backbone.named_parameters() if p.requires_grad
    }
    assert all(n.startswith('peft.') for n in trainable)
    optim = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05))
    data = tiny_batch()
    totals = []
    for step in range(4):
        optim.zero_grad(set_to_none=True)
        batch = model.data_preprocessor(data, True)
        loss, _ = model.parse_losses(model.loss(**batch))
        loss.backward()
        if step == 0:
            assert {
                n
                for n, p in model.named_parameters() if p.grad is not None
            } == {n
                  for n, p in model.named_parameters() if p.requires_grad}
        optim.step()
        totals.append(loss.item())
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], v) for n, v in frozen.items())
    backbone = dict(model.backbone.named_parameters())
    assert all(not torch.equal(backbone[n], v) for n, v in trainable.items())
    assert totals[-1] < 0.9 * totals[0], totals


def test_config_is_its_vmt_twin_but_the_backbone():
    cfg = Config.fromfile(osp.join(BASELINES, CONFIG))
    vmt = Config.fromfile(osp.join(
        REPO, VMT['pascal-context-mt-448x448'])).to_dict()
    for key in SAME:
        assert cfg.to_dict().get(key) == vmt.get(key), key
    model, vmt_model = cfg.to_dict()['model'], dict(vmt['model'])
    backbone = model.pop('backbone')
    vmt_backbone = vmt_model.pop('backbone')
    assert model == vmt_model
    assert backbone['type'] == 'PEFTBackbone' and backbone['per_task']
    assert backbone['method']['type'] == 'PolyhistorLite'
    stock = dict(backbone['backbone'])
    assert stock.pop('type') == 'SwinTransformer'
    assert stock == {
        k: v
        for k, v in vmt_backbone.items() if k not in VMT_ONLY
    }
    # The config's optimizer takes every trainable parameter once.
    tiny = tiny_model_cfg(('semseg', 'normals'))
    tiny['backbone'] = peft_cfg(dict(TINY), per_task=True, tasks=None)
    built = MODELS.build(tiny)
    wrapper = build_optim_wrapper(built, copy.deepcopy(cfg.optim_wrapper))
    in_optim = sum(p.numel() for g in wrapper.optimizer.param_groups
                   for p in g['params'])
    assert in_optim == sum(p.numel() for p in built.parameters()
                           if p.requires_grad)


def test_errors():
    with pytest.raises(ValueError, match='rank must be a positive int'):
        PolyhistorLite(rank=0)
    with pytest.raises(ValueError, match='not a multiple of the template'):
        _tiny(method=dict(TINY, template_dims=24))
    with pytest.raises(ValueError, match='template width 2 < reduction 4'):
        _tiny(method=dict(TINY, template_dims=2))
    method = PolyhistorLite(**{k: v for k, v in TINY.items() if k != 'type'})
    MODELS.build(peft_cfg(method, per_task=True))
    with pytest.raises(ValueError, match='one PolyhistorLite per backbone'):
        MODELS.build(peft_cfg(method, per_task=True))
