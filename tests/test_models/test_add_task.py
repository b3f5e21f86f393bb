"""Adding a task to a trained VMT model (docs/design.md section 3.1).

The old tasks' outputs are bit-identical before and after, training moves
only the new task's entries, and the configuration errors are named.
"""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

from mmvmt.engine.checkpoint_fit import CheckpointMismatchError
from mmvmt.engine.hooks.trainable_checkpoint_hook import (
    TrainableCheckpointHook, check_checkpoint_fits)
from mmvmt.models.segmentors.frozen_tasks import (shared_state_keys,
                                                  task_state_keys)
from mmvmt.utils.param_count import count_parameters

torch.set_num_threads(1)

BASE = ('semseg', 'normals')
IMG = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def build(tasks, lite=False, **kwargs):
    cfg = tiny_model_cfg(tasks, lite=lite)
    cfg['backbone'].update(kwargs.pop('backbone', {}))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def perturb_(model, seed=0, std=0.2):
    """Make every parameter and BN statistic look trained."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                noise = torch.randn(value.shape, generator=gen) * std
                value.copy_(value.abs() +
                            0.1 if name.endswith('running_var') else value +
                            noise)


def trained_base(lite=False, tasks=BASE):
    model = build(tasks, lite=lite)
    model.init_weights()
    perturb_(model)
    return model.eval()


def extended(base, new=('sal', ), lite=False, **kwargs):
    """The model with ``new`` added, loaded from ``base`` as load_from."""
    model = build(
        tuple(base.tasks) + tuple(new),
        lite=lite,
        frozen_tasks=kwargs.pop('frozen_tasks', tuple(base.tasks)),
        **kwargs)
    model.init_weights()
    torch.manual_seed(1)
    state = base.state_dict()
    check_checkpoint_fits(model, dict(state_dict=state), 'base.pth')
    missing = model.load_state_dict(state, strict=False).missing_keys
    # the backbone fills its own entries; BN fills num_batches_tracked
    assert sorted(missing) == sorted(
        k for t in new for k in task_state_keys(model, t)
        if k.startswith('decode_heads.')
        and not k.endswith('num_batches_tracked'))
    return model


def logits(model, tasks):
    with torch.no_grad():
        out = model._forward(IMG)
    return {t: out[t] for t in tasks}


@pytest.mark.parametrize('lite', [False, True], ids=['vmt', 'lite'])
@pytest.mark.parametrize('base_tasks', [('semseg', ), BASE], ids=['T1', 'T2'])
def test_old_tasks_are_bit_identical(lite, base_tasks):
    base = trained_base(lite, base_tasks)
    model = extended(base, ('sal', 'depth'), lite=lite).eval()
    assert model.backbone.base_tasks == base_tasks
    assert model.backbone.added_tasks == ('sal', 'depth')
    before, after = logits(base, base_tasks), logits(model, base_tasks)
    for task in base_tasks:
        assert torch.equal(before[task], after[task]), task
    # the features too, and through predict (restore + finalize)
    with torch.no_grad():
        feats = model.backbone(IMG)
        ref = base.backbone(IMG)
        pred = model.predict(IMG)
        ref_pred = base.predict(IMG)
    for task in base_tasks:
        for a, b in zip(feats[task], ref[task]):
            assert torch.equal(a, b)
        key = f'pred_{task}'
        assert all(
            torch.equal(getattr(p, key).data,
                        getattr(r, key).data) for p, r in zip(pred, ref_pred))


def test_new_task_starts_at_the_generic_feature():
    base = trained_base()
    model = extended(base).eval()
    blocks = [b for s in model.backbone.stages for b in s.blocks]
    for block in blocks:
        ext = block.adapter.extraction
        new = block.adapter.added_extraction['sal']
        assert torch.equal(new.gamma, ext.gamma.mean(0, keepdim=True))
        assert torch.equal(new.beta, ext.beta.mean(0, keepdim=True))
    # zero side stream: the new task sees Norm(x^i) of the generic stream,
    # i.e. what a task with e_t = e_bar sees
    with torch.no_grad():
        feats = model.backbone(IMG)
    stock = copy.deepcopy(model.backbone)
    stock.task_norms['semseg'].load_state_dict(
        stock.task_norms['sal'].state_dict())
    for block in (b for s in stock.stages for b in s.blocks):
        with torch.no_grad():
            block.adapter.extraction.gamma.copy_(
                block.adapter.extraction.gamma.mean(0).expand(2, -1))
            block.adapter.extraction.beta.copy_(
                block.adapter.extraction.beta.mean(0).expand(2, -1))
    with torch.no_grad():
        ref = stock(IMG)
    for a, b in zip(feats['sal'], ref['semseg']):
        assert torch.equal(a, b)


@pytest.mark.parametrize('lite', [False, True], ids=['vmt', 'lite'])
def test_only_the_new_tasks_entries_train(lite):
    base = trained_base(lite)
    model = extended(base, ('sal', 'depth'), lite=lite)
    own = set(task_state_keys(model, 'sal')) | set(
        task_state_keys(model, 'depth'))
    params = dict(model.named_parameters())
    trainable = {n for n, p in params.items() if p.requires_grad}
    assert trainable == own & set(params)
    assert any('.adapter.added_extraction.sal.gamma' in n for n in trainable)
    assert 'backbone.task_norms.depth.norm3.weight' in trainable
    assert 'decode_heads.sal.conv_seg.weight' in trainable
    # AdamW with weight decay: frozen entries must not move at all, BN
    # statistics of the frozen heads included (they stay in eval mode)
    model.train()
    assert not model.decode_heads['semseg'].training
    assert model.decode_heads['sal'].training
    optim = torch.optim.AdamW([p for p in params.values() if p.requires_grad],
                              lr=1e-2,
                              weight_decay=0.1)
    before = copy.deepcopy(model.state_dict())
    gen = torch.Generator().manual_seed(2)
    for _ in range(2):
        out = model._forward(IMG)
        loss = sum((o * torch.randn(o.shape, generator=gen)).sum()
                   for o in out.values())
        optim.zero_grad()
        loss.backward()
        for name, param in params.items():  # DDP: every trainable one
            assert (param.grad is not None) == param.requires_grad, name
        optim.step()
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed <= own
    assert trainable <= changed  # every new parameter moved
    for key in base.state_dict():
        assert torch.equal(after[key], base.state_dict()[key]), key
    # the parameter groups count the new extraction as extraction
    counts = count_parameters(model)
    assert counts['backbone.extraction']['trainable'] == sum(
        p.numel() for n, p in params.items()
        if 'added_extraction' in n and p.requires_grad)
    assert counts['backbone.adapters']['trainable'] == 0


def test_trainable_only_saving_is_refused_with_frozen_tasks():
    model = extended(trained_base())
    runner = SimpleNamespace(model=model)
    TrainableCheckpointHook(trainable_only=False).before_train(runner)
    with pytest.raises(ValueError, match='task pack'):
        TrainableCheckpointHook(trainable_only=True).before_train(runner)


def test_added_tasks_are_independent_of_each_other():
    """A + sal and A + sal + depth give sal the same bits (packs compose)."""
    base = trained_base()
    one = extended(base, ('sal', ))
    two = extended(base, ('sal', 'depth'))
    perturb_(one.backbone.task_norms['sal'], seed=3)
    perturb_(one.decode_heads['sal'], seed=4)
    for block in (b for s in one.backbone.stages for b in s.blocks):
        perturb_(block.adapter.added_extraction, seed=5)
    state = one.state_dict()
    two.load_state_dict({k: state[k]
                         for k in task_state_keys(one, 'sal')},
                        strict=False)
    one.eval(), two.eval()
    assert torch.equal(
        logits(one, ['sal'])['sal'],
        logits(two, ['sal'])['sal'])
    assert shared_state_keys(one) == shared_state_keys(two)


def test_state_keys_split_the_model():
    model = extended(trained_base())
    keys = set(model.state_dict())
    owned = {t: set(task_state_keys(model, t)) for t in model.tasks}
    shared = set(shared_state_keys(model))
    assert set.union(shared, *owned.values()) == keys
    assert sum(map(len, owned.values())) + len(shared) == len(keys)
    # a base task's extraction rows are shared: they define e_bar
    assert not any('extraction' in k for k in owned['semseg'])
    assert any('.adapter.extraction.gamma' in k for k in shared)
    assert any('added_extraction.sal' in k for k in owned['sal'])
    with pytest.raises(KeyError, match='no task'):
        task_state_keys(model, 'edge')


def test_base_checkpoint_refused_outside_training():
    """Only an initialised (training) model starts new tasks from init."""
    base = trained_base()
    model = build(BASE + ('sal', ), frozen_tasks=BASE)
    with pytest.raises(
            CheckpointMismatchError,
            match='missing key.*added_extraction.sal'):
        check_checkpoint_fits(model, dict(state_dict=base.state_dict()), 'b')
    # a partially present new task is a misfit, initialised or not
    model.init_weights()
    state = dict(base.state_dict())
    key = next(k for k in task_state_keys(model, 'sal') if 'task_norms' in k)
    state[key] = model.state_dict()[key]
    with pytest.raises(CheckpointMismatchError, match='missing'):
        check_checkpoint_fits(model, dict(state_dict=state), 'b')


def test_adding_again_keeps_the_first_base():
    """A -> A + sal -> A + sal + depth: e_bar stays the mean over A."""
    base = trained_base()
    first = extended(base, ('sal', ))
    perturb_(first.decode_heads['sal'], seed=6)
    second = extended(
        first, ('depth', ),
        frozen_tasks=BASE + ('sal', ),
        backbone=dict(base_tasks=BASE))
    first.eval(), second.eval()
    tasks = BASE + ('sal', )
    before, after = logits(first, tasks), logits(second, tasks)
    for task in tasks:
        assert torch.equal(before[task], after[task]), task
    assert {n
            for n, p in second.named_parameters()
            if p.requires_grad} == set(task_state_keys(second, 'depth')) & set(
                dict(second.named_parameters()))


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(frozen_tasks=BASE + ('sal', )), ValueError, 'nothing would train'),
    (dict(frozen_tasks=('semseg', 'edge')), ValueError, 'does not provide'),
    (dict(frozen_tasks=('semseg', ), backbone=dict(base_tasks=BASE)),
     ValueError, "base task\\(s\\) \\['normals'\\]"),
    (dict(frozen_tasks=BASE, backbone=dict(trainable_patterns=('*norm*', ))),
     ValueError, 'trainable_patterns'),
    (dict(frozen_tasks=BASE, backbone=dict(frozen_tasks=('semseg', ))),
     ValueError, 'drop frozen_tasks from the backbone'),
])
def test_bad_task_roles_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        build(BASE + ('sal', ), **copy.deepcopy(kwargs))


def test_other_backbones_must_be_frozen():
    cfg = tiny_model_cfg(BASE + ('sal', ))
    stock = {
        k: v
        for k, v in cfg['backbone'].items()
        if k not in ('adapter_cfg', 'always_dict', 'init_cfg')
    }
    stock['type'] = 'SwinTransformer'
    lora = dict(
        type='PEFTBackbone',
        backbone=stock,
        method=dict(type='LoRA', rank=2, targets=['*attn.w_msa.qkv']))
    with pytest.raises(ValueError, match='trains .* shared parameter'):
        MODELS.build(dict(cfg, backbone=lora, frozen_tasks=BASE))
    # decoder-only (nothing in the backbone trains): the heads decide
    model = MODELS.build(
        dict(
            cfg,
            backbone=dict(type='PEFTBackbone', backbone=stock),
            frozen_tasks=BASE))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(
        n.startswith('decode_heads.sal.') for n in trainable)


def test_extraction_rows_follow_the_task_table():
    """decode_heads in another order (mmengine's Config.dump sorts them)
    load the same checkpoint and give every task the same outputs."""
    tasks = ('semseg', 'human_parts', 'sal', 'normals')
    model = trained_base(tasks=tasks)
    shuffled = build(('sal', 'normals', 'semseg', 'human_parts'))
    shuffled.load_state_dict(model.state_dict())
    assert shuffled.backbone.base_tasks == tasks
    got, want = logits(shuffled.eval(), tasks), logits(model, tasks)
    for task in tasks:
        assert torch.equal(got[task], want[task]), task
    frozen = build(
        tasks + ('depth', ),
        frozen_tasks=('normals', 'semseg', 'sal', 'human_parts'))
    assert frozen.backbone.base_tasks == tasks
