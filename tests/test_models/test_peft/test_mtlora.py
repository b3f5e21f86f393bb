"""MTLoRA: the public code's computation, counts, taps, init, shared work.
"""
import pytest
import test_baseline_configs as baseline_configs
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS
from peft_cases import (SWIN_T, TINY_SWIN, peft_cfg, randomised_state,
                        tiny_batch)
from tiny_models import tiny_model_cfg
from torch.utils.flop_counter import FlopCounterMode

TASKS4 = ('semseg', 'human_parts', 'sal', 'normals')
#: Measured on the public MTLoRA code (Swin-T backbone, T = 4, r_t = 4):
#: shared LoRA, task LoRA per task, unfrozen, total.
PUBLIC = {
    16: (1_130_496, 69_120, 1_599_546, 3_006_522),
    32: (2_260_992, 69_120, 1_599_546, 4_137_018),
    64: (4_521_984, 69_120, 1_599_546, 6_398_010),
}
CONFIG = 'mtlora-r{}_swin-t_4xb8-40k_pascal-context-mt-448x448.py'


def _counts(model):
    """Trainable (shared LoRA, task LoRA, unfrozen pretrained)."""
    parts = [0, 0, 0]
    for name, param in model.named_parameters():
        if param.requires_grad:
            part = 2 if name.startswith('backbone.') else int(
                '.tasks.' in name)
            parts[part] += param.numel()
    return tuple(parts)


def _dims(swin):
    return [swin['embed_dims'] * 2**i for i in range(len(swin['depths']))]


def _closed_form(swin, rank, task_rank, num_tasks):
    """The docstring's formulas, by hand: shared, task, unfrozen, total."""
    c, depths, heads = swin['embed_dims'], swin['depths'], swin['num_heads']
    dims = _dims(swin)
    s = sum(d * n for d, n in zip(dims, depths))
    w = swin['window_size']
    unfrozen = (51 * c + 4 * s +
                (2 * w - 1)**2 * sum(h * n for h, n in zip(heads, depths)) +
                8 * sum(d * d + d for d in dims[:-1]))
    shared = 16 * rank * s - 5 * rank * dims[-1]
    task = num_tasks * 12 * task_rank * sum(dims)
    return shared, task, unfrozen, shared + task + unfrozen


@pytest.mark.parametrize('rank', sorted(PUBLIC))
def test_swin_t_counts_and_their_relation_to_the_public_code(rank):
    model = MODELS.build(
        peft_cfg(dict(type='MTLoRA', rank=rank), swin=SWIN_T, tasks=TASKS4))
    shared, task, unfrozen, total = PUBLIC[rank]
    dead = 5 * rank * 768  # the last fc2's shared LoRA: no gradient there
    assert _counts(model) == (shared - dead, 4 * task, unfrozen)
    assert model.num_trainable() == total - dead == {
        16: 2_945_082,
        32: 4_014_138,
        64: 6_152_250
    }[rank]
    assert _closed_form(SWIN_T, rank, 4,
                        4) == (shared - dead, 4 * task, unfrozen, total - dead)


def test_tiny_swin_counts_follow_the_closed_form():
    model = MODELS.build(
        peft_cfg(dict(type='MTLoRA', rank=3, task_rank=2), tasks=TASKS4[:3]))
    # Tiny Swin: C = 16, S = 16 + 32 + 128 + 128 = 304, sum d_i = 240.
    shared, task, unfrozen, total = _closed_form(TINY_SWIN, 3, 2, 3)
    assert (shared, task) == (16 * 3 * 304 - 5 * 3 * 128, 3 * 12 * 2 * 240)
    assert _counts(model) == (shared, task, unfrozen)
    assert model.num_trainable() == total


@pytest.fixture(scope='module')
def loaded(tmp_path_factory):
    """A random stock tiny Swin and MTLoRA (both taps) on its checkpoint."""
    torch.manual_seed(0)
    stock = MODELS.build(TINY_SWIN)
    stock.load_state_dict(randomised_state(stock))
    stock.eval()
    path = tmp_path_factory.mktemp('ckpt') / 'swin.pth'
    torch.save(dict(state_dict=stock.state_dict()), path)
    models = {}
    for taps in ('mmvmt', 'public'):
        model = MODELS.build(
            peft_cfg(
                dict(type='MTLoRA', rank=2, taps=taps),
                tasks=TASKS4[:3],
                init_cfg=dict(type='Pretrained', checkpoint=str(path))))
        model.init_weights()
        models[taps] = model.eval()
    return stock, models


def _stock_public_taps(stock, x):
    """The stock Swin's maps where the public code taps them."""
    taps = {}

    def keep(i, pick):
        return lambda module, inputs, output: taps.__setitem__(i, pick(output))

    handles = [
        stage.downsample.register_forward_hook(keep(i, lambda o: o))
        for i, stage in enumerate(stock.stages[:-1])
    ]
    last = len(stock.stages) - 1
    handles.append(stock.stages[last].register_forward_hook(
        keep(last, lambda o: (o[2], o[3]))))
    try:
        stock(x)
    finally:
        for handle in handles:
            handle.remove()
    return [
        out.view(out.shape[0], *hw, -1).permute(0, 3, 1, 2)
        for out, hw in (taps[i] for i in sorted(taps))
    ]


def test_init_equals_stock_for_every_task_and_both_taps(loaded):
    stock, models = loaded
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = {'mmvmt': stock(x), 'public': _stock_public_taps(stock, x)}
        outs = {taps: model(x) for taps, model in models.items()}
    assert [r.shape[1] for r in ref['public']] == [32, 64, 128, 128]
    assert [r.shape[-1] for r in ref['public']] == [8, 4, 2, 2]
    for taps, out in outs.items():
        assert list(out) == list(TASKS4[:3])
        for feats in out.values():
            assert [f.shape for f in feats] == [r.shape for r in ref[taps]]
            assert all(torch.equal(a, b) for a, b in zip(feats, ref[taps]))


def _randomise_lora(model, seed=1):
    gen = torch.Generator().manual_seed(seed)
    for name, param in model.named_parameters():
        if name.startswith('peft.') and name.endswith('up.weight'):
            param.data = torch.randn(param.shape, generator=gen) * 0.1


def _delta(lora, x):
    return lora.scale * lora.up(lora.down(x))


@pytest.mark.parametrize('stage', [0, 2])  # plain and shifted windows
def test_last_block_is_the_public_formula(loaded, stage):
    """Against the stock block's own modules, run per task by hand:
    proj_t = W a + b + s B_t A_t a on the shared attention output a;
    fc1_t from the shared norm2 input plus the task's norm2(y_t);
    fc2_t from the shared GELU output plus the task's GELU(fc1_t)."""
    _, models = loaded
    model = models['mmvmt']
    _randomise_lora(model)
    branch = model.peft['task_branch']
    run = branch.stages[stage]
    block = model.backbone.stages[stage].blocks[-1]
    width = 16 * 2**stage
    hw = (9, 10)  # padding to the window, shift where the block shifts
    torch.manual_seed(2)
    x = torch.randn(2, 90, width)
    attn, ffn = block.attn, block.ffn
    fc1, fc2 = ffn.layers[0][0], ffn.layers[1]

    def attention(delta):
        handle = attn.w_msa.proj.register_forward_hook(
            lambda m, inputs, out: out + _delta(delta, inputs[0]))
        try:
            return x + attn(block.norm1(x), hw)
        finally:
            handle.remove()

    with torch.no_grad():
        out = run(block, x, hw)
        x1 = attention(run.proj.shared)
        u = block.norm2(x1)
        h = F.gelu(fc1(u) + _delta(run.fc1.shared, u))
        ref = [x1 + fc2(h) + _delta(run.fc2.shared, h)]
        for task in branch.tasks:
            y = attention(run.proj.tasks[task])
            h_t = F.gelu(fc1(u) + _delta(run.fc1.tasks[task], block.norm2(y)))
            ref.append(y + fc2(h) + _delta(run.fc2.tasks[task], h_t))
    assert block.attn.shift_size == (3 if stage == 2 else 0)
    assert out.shape == (4, 2, 90, width)
    torch.testing.assert_close(out, torch.stack(ref), rtol=1e-5, atol=1e-5)
    for name, param in model.named_parameters():  # back to the init
        if name.startswith('peft.') and name.endswith('up.weight'):
            param.data.zero_()


def test_a_task_lora_changes_only_its_task_and_its_stage(loaded):
    _, models = loaded
    model = models['mmvmt']
    x = torch.randn(1, 3, 64, 64)
    up = model.peft['task_branch'].stages[1].fc2.tasks['sal'].up.weight
    shared_up = model.peft['task_branch'].stages[1].fc2.shared.up.weight
    with torch.no_grad():
        ref = model(x)
        try:
            up.normal_()
            task_out = model(x)
            up.zero_()
            shared_up.normal_()
            shared_out = model(x)
        finally:
            up.zero_()
            shared_up.zero_()
    for task in ('semseg', 'human_parts'):
        assert all(
            torch.equal(a, b) for a, b in zip(task_out[task], ref[task]))
    changed = [
        not torch.equal(a, b) for a, b in zip(task_out['sal'], ref['sal'])
    ]
    assert changed == [False, True, False, False]
    # The shared fc2 LoRA of stage 1's last block feeds stage 2 on.
    for task in ref:
        changed = [
            not torch.equal(a, b) for a, b in zip(shared_out[task], ref[task])
        ]
        assert changed == [False, False, True, True]


def _count_calls(model, x, backward=False):
    """Calls of every block's qkv and of every frozen linear's weight."""
    calls = {'qkv': 0}
    qkvs = [m for n, m in model.backbone.named_modules() if n.endswith('.qkv')]
    handles = [
        m.register_forward_hook(
            lambda *a: calls.__setitem__('qkv', calls['qkv'] + 1))
        for m in qkvs
    ]
    try:
        feats = model(x)
        if backward:
            sum(f.sum() for fs in feats.values() for f in fs).backward()
    finally:
        for handle in handles:
            handle.remove()
    return calls['qkv'], len(qkvs)


@pytest.mark.parametrize('with_cp', [False, True])
def test_shared_work_runs_once_whatever_the_number_of_tasks(with_cp):
    """qkv (hence norm1 and the attention) once per block and pass; with
    with_cp the checkpointed recompute adds one more, never one per task.
    """
    x = torch.randn(1, 3, 32, 32)
    counts = []
    for tasks in (TASKS4[:1], TASKS4):
        torch.manual_seed(0)
        model = MODELS.build(
            peft_cfg(
                dict(type='MTLoRA', rank=2), tasks=tasks,
                with_cp=with_cp)).train()
        counts.append(_count_calls(model, x, backward=True))
    (calls1, blocks), (calls4, _) = counts
    assert blocks == 5
    assert calls1 == calls4 == (2 if with_cp else 1) * blocks


def test_with_cp_gives_the_same_outputs_and_gradients():
    x = torch.randn(1, 3, 32, 32)
    results = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = MODELS.build(
            peft_cfg(
                dict(type='MTLoRA', rank=2, dropout=0.),
                tasks=TASKS4[:2],
                with_cp=with_cp)).train()
        _randomise_lora(model)
        feats = model(x)
        sum((f**2).mean() for fs in feats.values() for f in fs).backward()
        outs = {t: [f.detach() for f in fs] for t, fs in feats.items()}
        grads = {
            n: p.grad
            for n, p in model.named_parameters() if p.requires_grad
        }
        results.append((outs, grads))
    (out0, grads0), (out1, grads1) = results
    for task in out0:
        for a, b in zip(out0[task], out1[task]):
            torch.testing.assert_close(a, b)
    assert grads0.keys() == grads1.keys()
    assert all(g is not None for g in grads0.values())
    for name in grads0:
        torch.testing.assert_close(grads0[name], grads1[name])


def test_public_taps_reach_every_trainable_parameter():
    """No output norms there, and the patch merging runs per task too."""
    model = MODELS.build(
        peft_cfg(dict(type='MTLoRA', rank=2, taps='public'),
                 tasks=TASKS4[:2])).train()
    feats = model(torch.randn(1, 3, 32, 32))
    assert [f.shape[1] for f in feats['semseg']] == [32, 64, 128, 128]
    sum(f.sum() for fs in feats.values() for f in fs).backward()
    without = [
        n for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]
    assert without == []


def _per_task_macs(swin, task_rank, size, taps):
    """Matmul MACs one more task costs: 12 r_t d_i N_i per stage, plus
    the patch merging 2 d_i^2 N_i (i < n - 1) with the public taps
    (``N_i`` tokens of stage i; sizes that need no padding)."""
    dims = _dims(swin)
    tokens = [(size // 4 // 2**i)**2 for i in range(len(dims))]
    macs = sum(12 * task_rank * d * n for d, n in zip(dims, tokens))
    if taps == 'public':
        macs += sum(2 * d * d * n for d, n in zip(dims[:-1], tokens[:-1]))
    return macs


@pytest.mark.parametrize('taps', ['mmvmt', 'public'])
def test_per_task_macs_are_the_task_updates_only(taps):
    x = torch.randn(1, 3, 32, 32)  # 8..1 tokens a side: no padding
    flops = []
    for tasks in (TASKS4[:1], TASKS4):
        model = MODELS.build(
            peft_cfg(
                dict(type='MTLoRA', rank=2, taps=taps),
                tasks=tasks,
                window_size=1)).eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
        flops.append(counter.get_total_flops())
    assert (flops[1] - flops[0]) / 2 == 3 * _per_task_macs(
        TINY_SWIN, 4, 32, taps)


def test_swin_t_per_task_macs_at_448():
    """The figures the docs quote (public code: ~0.8 GMAC per task)."""
    assert _per_task_macs(SWIN_T, 4, 448, 'mmvmt') == 108_380_160
    assert _per_task_macs(SWIN_T, 4, 448, 'public') == 802_013_184


def test_bad_mode_rank_taps_and_outputs_are_errors():
    with pytest.raises(ValueError, match='per_task=False'):
        MODELS.build(peft_cfg(dict(type='MTLoRA'), per_task=True))
    with pytest.raises(ValueError, match='rank'):
        MODELS.build(peft_cfg(dict(type='MTLoRA', task_rank=0)))
    with pytest.raises(ValueError, match="taps must be one of.*'after'"):
        MODELS.build(peft_cfg(dict(type='MTLoRA', taps='after')))
    with pytest.raises(
            ValueError, match=r'out_indices=\(0, 1, 2, 3\); got '
            r'\(1, 2, 3\)'):
        MODELS.build(peft_cfg(dict(type='MTLoRA'), out_indices=(1, 2, 3)))


def test_training_reaches_every_trainable_parameter_and_learns():
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
            without = [
                n for n, p in model.named_parameters()
                if p.requires_grad and p.grad is None
            ]
            assert without == []
        optim.step()
        totals.append(loss.item())
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], v) for n, v in frozen.items())
    assert totals[-1] < 0.9 * totals[0], totals


@pytest.mark.parametrize('rank', sorted(PUBLIC))
def test_config_is_its_vmt_twin_but_the_backbone(rank):
    name = CONFIG.format(rank)
    baseline_configs.test_baseline_differs_from_vmt_only_in_the_backbone(name)
    cfg = Config.fromfile(f'{baseline_configs.BASELINES}/{name}')
    assert cfg.model.backbone.method == dict(
        type='MTLoRA', rank=rank, task_rank=4, scale=4.0, dropout=0.05)
