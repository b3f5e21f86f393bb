"""MTLoRA: counts equal the public code's, init == stock, training, configs.
"""
import pytest
import test_baseline_configs as baseline_configs
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS
from peft_cases import (SWIN_T, TINY_SWIN, peft_cfg, randomised_state,
                        tiny_batch)
from tiny_models import tiny_model_cfg

TASKS4 = ('semseg', 'human_parts', 'sal', 'normals')
#: Measured on the public MTLoRA code (Swin-T backbone, T = 4, r_t = 4).
FACTS = {
    16: (1_130_496, 69_120, 1_599_546, 3_006_522),
    32: (2_260_992, 69_120, 1_599_546, 4_137_018),
    64: (4_521_984, 69_120, 1_599_546, 6_398_010),
}
CONFIG = 'mtlora-r{}_swin-t_4xb8-40k_pascal-context-mt-448x448.py'


def _counts(model):
    """(shared LoRA, task LoRA, unfrozen pretrained, total) trainable."""
    parts = [0, 0, 0]
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        prefix = ('peft.shared.', 'peft.task_branch.', 'backbone.')
        parts[[name.startswith(p) for p in prefix].index(True)] += (
            param.numel())
    return (*parts, sum(parts))


def _closed_form(swin, rank, task_rank, num_tasks):
    """The docstring's formulas, by hand."""
    c, depths, heads = swin['embed_dims'], swin['depths'], swin['num_heads']
    dims = [c * 2**i for i in range(len(depths))]
    s = sum(d * n for d, n in zip(dims, depths))
    w = swin['window_size']
    unfrozen = (51 * c + 4 * s +
                (2 * w - 1)**2 * sum(h * n for h, n in zip(heads, depths)) +
                8 * sum(d * d + d for d in dims[:-1]))
    task = 12 * task_rank * sum(dims)
    return (16 * rank * s, num_tasks * task, unfrozen,
            16 * rank * s + num_tasks * task + unfrozen)


@pytest.mark.parametrize('rank', sorted(FACTS))
def test_swin_t_counts_are_the_public_mtlora_figures(rank):
    model = MODELS.build(
        peft_cfg(dict(type='MTLoRA', rank=rank), swin=SWIN_T, tasks=TASKS4))
    shared, task, unfrozen, total = FACTS[rank]
    assert _counts(model) == (shared, 4 * task, unfrozen, total)
    assert _closed_form(SWIN_T, rank, 4, 4) == _counts(model)
    assert model.num_trainable() == total


def test_tiny_swin_counts_follow_the_closed_form():
    model = MODELS.build(
        peft_cfg(dict(type='MTLoRA', rank=3, task_rank=2), tasks=TASKS4[:3]))
    # Tiny Swin: C = 16, S = 16 + 32 + 128 + 128 = 304, sum d_i = 240.
    assert _counts(model) == _closed_form(TINY_SWIN, 3, 2, 3)
    assert _counts(model)[:2] == (16 * 3 * 304, 3 * 12 * 2 * 240)


@pytest.fixture(scope='module')
def loaded(tmp_path_factory):
    """A random stock tiny Swin and MTLoRA around its checkpoint."""
    torch.manual_seed(0)
    stock = MODELS.build(TINY_SWIN)
    stock.load_state_dict(randomised_state(stock))
    stock.eval()
    path = tmp_path_factory.mktemp('ckpt') / 'swin.pth'
    torch.save(dict(state_dict=stock.state_dict()), path)
    model = MODELS.build(
        peft_cfg(
            dict(type='MTLoRA', rank=2),
            tasks=TASKS4[:3],
            init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    return stock, model.eval()


def test_init_equals_stock_for_every_task(loaded):
    stock, model = loaded
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = stock(x)
        out = model(x)
    assert list(out) == list(TASKS4[:3])
    for feats in out.values():
        assert [f.shape for f in feats] == [r.shape for r in ref]
        assert all(torch.equal(a, b) for a, b in zip(feats, ref))


def test_a_task_lora_changes_only_its_task_and_its_stage(loaded):
    _, model = loaded
    x = torch.randn(1, 3, 64, 64)
    up = model.peft['task_branch'].deltas['sal'][
        'stages__1__blocks__0__ffn__layers__1'].up.weight
    with torch.no_grad():
        ref = model(x)
        up.normal_()
        try:
            out = model(x)
        finally:
            up.zero_()
    for task in ('semseg', 'human_parts'):
        assert all(torch.equal(a, b) for a, b in zip(out[task], ref[task]))
    # The task branch replaces the shared output of stage 1's last block
    # for `sal` only; the shared stream (stages 2, 3) is untouched.
    changed = [not torch.equal(a, b) for a, b in zip(out['sal'], ref['sal'])]
    assert changed == [False, True, False, False]


def test_per_task_mode_and_bad_rank_are_errors():
    with pytest.raises(ValueError, match='per_task=False'):
        MODELS.build(peft_cfg(dict(type='MTLoRA'), per_task=True))
    with pytest.raises(ValueError, match='rank'):
        MODELS.build(peft_cfg(dict(type='MTLoRA', task_rank=0)))


def test_training_gradients_frozen_weights_and_loss():
    cfg = tiny_model_cfg(('semseg', 'normals'))
    cfg['backbone'] = peft_cfg(dict(type='MTLoRA', rank=2), tasks=None)
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    frozen = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if not p.requires_grad
    }
    optim = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05))
    data = tiny_batch()
    totals = []
    for step in range(4):
        optim.zero_grad(set_to_none=True)
        losses = model.loss(**model.data_preprocessor(data, True))
        loss, _ = model.parse_losses(losses)
        loss.backward()
        if step == 0:
            with_grad = {
                n
                for n, p in model.named_parameters() if p.grad is not None
            }
            trainable = {
                n
                for n, p in model.named_parameters() if p.requires_grad
            }
            # Only the shared proj/fc1/fc2 LoRA of the last stage's last
            # block gets none: its shared output feeds no head.
            dead = {
                f'backbone.peft.shared.stages__3__blocks__0__{t}.{p}.weight'
                for t in ('attn__w_msa__proj', 'ffn__layers__0__0',
                          'ffn__layers__1')
                for p in ('down', 'up')
            }
            assert dead <= trainable
            assert with_grad == trainable - dead
        optim.step()
        totals.append(loss.item())
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], v) for n, v in frozen.items())
    assert totals[-1] < 0.9 * totals[0], totals


@pytest.mark.parametrize('rank', sorted(FACTS))
def test_config_is_its_vmt_twin_but_the_backbone(rank):
    name = CONFIG.format(rank)
    baseline_configs.test_baseline_differs_from_vmt_only_in_the_backbone(name)
    cfg = Config.fromfile(f'{baseline_configs.BASELINES}/{name}')
    assert cfg.model.backbone.method == dict(
        type='MTLoRA', rank=rank, task_rank=4, scale=4.0, dropout=0.05)
