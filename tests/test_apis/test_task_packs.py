"""Task packs: one added task in a file, composed onto a base checkpoint.

A base model (semseg + normals) is "trained" (perturbed), two tasks are
added to it separately (sal, depth) and "trained" (their own entries
perturbed), and each is saved as a pack. Composing the base checkpoint
with the packs must give each model bit for bit; packs built on other
shared weights are refused.
"""
import copy
import importlib.util
import os.path as osp
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

from mmvmt.apis import (TaskPackMismatchError, compose_config, compose_model,
                        load_inference_weights, read_task_pack, save_task_pack)
from mmvmt.apis.task_packs import check_task_pack
from mmvmt.models.segmentors.frozen_tasks import task_state_keys

torch.set_num_threads(1)

BASE = ('semseg', 'normals')
IMG = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
DATASET_META = dict(
    tasks=BASE,
    task_classes=dict(semseg=tuple(f'c{i}' for i in range(21))),
    task_palettes=dict(semseg=[[i, i, i] for i in range(21)]))


def _config(tasks, frozen=()):
    model = tiny_model_cfg(tasks)
    if frozen:
        model['frozen_tasks'] = frozen
    loader = dict(dataset=dict(type='PascalContextMTDataset', tasks=tasks))
    return Config(
        dict(
            default_scope='mmseg',
            model=model,
            val_dataloader=loader,
            test_dataloader=loader))


def _perturb(module, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, value in module.state_dict().items():
            if value.is_floating_point():
                value.add_(torch.randn(value.shape, generator=gen) * 0.2)
                if name.endswith('running_var'):
                    value.abs_()


def _logits(model):
    with torch.no_grad():
        return model.eval()._forward(IMG)


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """Base checkpoint, two extended models and their packs (files)."""
    init_default_scope('mmseg')
    folder = tmp_path_factory.mktemp('packs')
    torch.manual_seed(0)
    base_cfg = _config(BASE)
    base = MODELS.build(base_cfg.model)
    base.init_weights()
    _perturb(base, 0)
    out = dict(base=base, base_cfg=base_cfg, folder=folder)
    out['base_ckpt'] = str(folder / 'base.pth')
    meta = dict(dataset_meta=DATASET_META)
    torch.save(dict(state_dict=base.state_dict(), meta=meta), out['base_ckpt'])
    for seed, task in enumerate(('sal', 'depth'), 1):
        cfg = _config(BASE + (task, ), frozen=BASE)
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.load_state_dict(base.state_dict(), strict=False)
        own = set(task_state_keys(model, task))
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # "train" the new task's own entries
            for key, value in model.state_dict().items():
                if key in own and value.is_floating_point():
                    value.add_(torch.randn(value.shape, generator=gen) * .2)
                    if key.endswith('running_var'):
                        value.abs_()
        path = str(folder / f'{task}_pack.pth')
        save_task_pack(model, task, path, cfg.model.decode_heads[task],
                       dict(DATASET_META, tasks=BASE + (task, )))
        out[task] = dict(model=model.eval(), cfg=cfg, pack=path)
    return out


def test_pack_holds_the_task_alone(runs):
    model = runs['sal']['model']
    pack = torch.load(runs['sal']['pack'], weights_only=True)
    assert set(pack['state_dict']) == set(task_state_keys(model, 'sal'))
    assert any('added_extraction.sal' in k for k in pack['state_dict'])
    assert any(
        k.startswith('backbone.task_norms.sal.') for k in pack['state_dict'])
    meta = pack['meta']
    assert meta['task'] == 'sal' and meta['base_tasks'] == list(BASE)
    assert meta['head_cfg']['type'] == 'MultiScaleFusionHead'
    assert meta['dataset_meta'] == {}  # sal has no classes
    # small next to the model
    size = sum(v.numel() for v in pack['state_dict'].values())
    assert size < 0.2 * sum(p.numel() for p in model.parameters())
    assert read_task_pack(runs['sal']['pack'])['meta'] == meta


def test_compose_equals_the_trained_model_bit_for_bit(runs):
    composed = compose_model(runs['base_cfg'], runs['base_ckpt'],
                             [runs['sal']['pack']])
    trained = runs['sal']['model']
    assert composed.tasks == trained.tasks
    state, ref = composed.state_dict(), trained.state_dict()
    assert set(state) == set(ref)
    for key in ref:
        assert torch.equal(state[key], ref[key]), key
    got, want = _logits(composed), _logits(trained)
    assert all(torch.equal(got[t], want[t]) for t in trained.tasks)
    assert composed.dataset_meta['tasks'] == BASE + ('sal', )
    assert composed.cfg.test_dataloader.dataset.tasks == BASE + ('sal', )
    assert 'frozen_tasks' not in composed.cfg.model


def test_separately_trained_packs_compose(runs):
    composed = compose_model(runs['base_cfg'], runs['base_ckpt'],
                             [runs['depth']['pack'], runs['sal']['pack']])
    assert composed.tasks == BASE + ('depth', 'sal')
    got = _logits(composed)
    for task, ref in (('semseg', runs['base']), ('normals', runs['base']),
                      ('sal', runs['sal']['model']), ('depth',
                                                      runs['depth']['model'])):
        assert torch.equal(got[task], _logits(ref)[task]), task


@pytest.mark.parametrize('what, key', [
    ('frozen weights', 'backbone.stages.1.blocks.0.ffn.layers.1.weight'),
    ('shared adapters', 'backbone.stages.2.blocks.1.adapter.down.weight'),
    ('base extraction', 'backbone.stages.0.blocks.0.adapter.extraction.beta'),
])
def test_pack_on_another_base_is_refused(runs, tmp_path, what, key):
    state = copy.deepcopy(runs['base'].state_dict())
    state[key][0] += 1e-3
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(
            TaskPackMismatchError, match='sal_pack.pth.*another base model'):
        compose_model(runs['base_cfg'], path, [runs['sal']['pack']])


def test_base_tasks_own_entries_do_not_matter(runs, tmp_path):
    """A retrained base head or norm leaves the pack's task unchanged."""
    state = copy.deepcopy(runs['base'].state_dict())
    state['decode_heads.semseg.conv_seg.bias'] += 1.
    state['backbone.task_norms.normals.norm0.weight'] += 1.
    path = str(tmp_path / 'retrained_heads.pth')
    torch.save(dict(state_dict=state), path)
    composed = compose_model(runs['base_cfg'], path, [runs['sal']['pack']])
    assert torch.equal(
        _logits(composed)['sal'],
        _logits(runs['sal']['model'])['sal'])


def test_pack_needs_its_base_tasks(runs):
    with pytest.raises(ValueError, match=r"base task\(s\) \['normals'\]"):
        compose_config(_config(('semseg', )), [runs['sal']['pack']])
    with pytest.raises(ValueError, match="already has a head for 'sal'"):
        compose_config(runs['sal']['cfg'], [runs['sal']['pack']])
    model = runs['sal']['model']
    other = MODELS.build(_config(BASE + ('sal', ), frozen=('semseg', )).model)
    with pytest.raises(TaskPackMismatchError, match='base tasks'):
        check_task_pack(other, read_task_pack(runs['sal']['pack']))
    with pytest.raises(ValueError, match='cannot be packed'):
        save_task_pack(model, 'semseg', 'unused.pth', {})


def test_bad_pack_files(runs, tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_task_pack(str(tmp_path / 'nope.pth'))
    with pytest.raises(ValueError, match='is not a task pack'):
        read_task_pack(runs['base_ckpt'])
    evil = str(tmp_path / 'evil.pth')
    with open(evil, 'wb') as f:  # a pickle that would run code
        pickle.dump(dict(meta=dict(mmvmt_task_pack=1), hook=osp.join), f)
    with pytest.raises(ValueError, match='cannot read task pack'):
        read_task_pack(evil)
    pack = torch.load(runs['sal']['pack'], weights_only=True)
    pack['meta']['mmvmt_task_pack'] = 99
    newer = str(tmp_path / 'newer.pth')
    torch.save(pack, newer)
    with pytest.raises(ValueError, match='version 99'):
        read_task_pack(newer)


def _task_pack_tool():
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
        'misc', 'task_pack.py')
    spec = importlib.util.spec_from_file_location('mmvmt_task_pack', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_exports_and_composes(runs, tmp_path):
    tool = _task_pack_tool()
    sal = runs['sal']
    config, ckpt = str(tmp_path / 'sal.py'), str(tmp_path / 'sal.pth')
    sal['cfg'].dump(config)
    torch.save(dict(state_dict=sal['model'].state_dict()), ckpt)
    base_config = str(tmp_path / 'base.py')
    runs['base_cfg'].dump(base_config)
    pack = str(tmp_path / 'sal_pack.pth')
    tool.main(['export', config, ckpt, 'sal', pack])
    out = str(tmp_path / 'composed' / 'model.pth')
    tool.main(['compose', base_config, runs['base_ckpt'], pack, '--out', out])
    cfg = Config.fromfile(osp.splitext(out)[0] + '.py')
    model = MODELS.build(cfg.model)
    load_inference_weights(model, out)  # strict: a complete checkpoint
    got, want = _logits(model), _logits(sal['model'])
    assert all(torch.equal(got[t], want[t]) for t in want)
