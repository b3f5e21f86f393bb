"""configs/single_task: each config is its multi-task VMT twin with only the
method (a stock, fully trainable Swin-T), the one head and the dataset's
task changed, and it builds into a model whose every weight trains."""
import copy
import glob
import os.path as osp

import pytest
import torch
import yaml
from config_paths import REPO, config_path
from mmengine.config import Config
from mmseg.registry import DATASETS, METRICS, MODELS

from mmvmt.tasks import get_task
from mmvmt.utils.param_count import count_parameters

ST_DIR = osp.join(REPO, 'configs', 'single_task')
PASCAL = 'vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py'
NYUD = 'vmt_swin-t_4xb8-40k_nyud-mt-448x576.py'

#: Single-task config -> (its task, its multi-task twin in configs/vmt).
ST_CONFIGS = {
    f'fullft-st-{task.replace("_", "-")}_swin-t_4xb8-40k_{bench}.py':
    (task, twin)
    for bench, twin, tasks in (('pascal-context-mt-448x448', PASCAL,
                                ('semseg', 'human_parts', 'sal', 'normals')),
                               ('nyud-mt-448x576', NYUD, ('semseg', 'depth',
                                                          'normals')))
    for task in tasks
}
#: The adapter settings of the twin's VMT backbone, which a stock Swin lacks.
VMT_ONLY = ('type', 'adapter_cfg', 'trainable_patterns')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _load(name):
    return Config.fromfile(osp.join(ST_DIR, name)).to_dict()


def test_the_folder_holds_exactly_these_configs():
    # Their literature twins: tests/test_configs/test_literature_twins.py.
    found = sorted(
        osp.basename(p) for p in glob.glob(osp.join(ST_DIR, '*.py'))
        if 'literature' not in osp.basename(p))
    assert found == sorted(ST_CONFIGS)


@pytest.mark.parametrize('name', sorted(ST_CONFIGS))
def test_differs_from_its_twin_only_in_method_head_and_task(name):
    task, twin_name = ST_CONFIGS[name]
    cfg, twin = _load(name), Config.fromfile(config_path(twin_name)).to_dict()
    # The method: the twin's Swin-T settings on a stock, unfrozen Swin.
    backbone = cfg['model'].pop('backbone')
    twin_backbone = twin['model'].pop('backbone')
    assert backbone == dict(
        {
            k: v
            for k, v in twin_backbone.items() if k not in VMT_ONLY
        },
        type='SwinTransformer',
        frozen_stages=-1)
    assert backbone['init_cfg'] == twin_backbone['init_cfg']
    # The one head: the twin's head of that task.
    heads = cfg['model'].pop('decode_heads')
    assert heads == {task: twin['model'].pop('decode_heads')[task]}
    # The task, in the dataset config's variables and every loader.
    popped = []
    for c in (cfg, twin):
        popped.append(
            [c.pop('tasks'), c['dataset'].pop('tasks')] +
            [c[loader]['dataset'].pop('tasks') for loader in LOADERS])
    assert [tuple(t) for t in popped[0]] == [(task, )] * 5
    assert task in popped[1][0]
    # The task's delta_m baseline (PASCAL) / best-checkpoint key (NYUD).
    for evaluator in ('val_evaluator', 'test_evaluator'):
        baseline = cfg[evaluator].pop('baseline', None)
        twin_baseline = twin[evaluator].pop('baseline', None)
        if twin_baseline is None:
            assert baseline is None
        else:
            assert baseline == {task: twin_baseline[task]}
    hook, twin_hook = (c['default_hooks']['checkpoint'] for c in (cfg, twin))
    if twin_hook['save_best'] != 'multitask/delta_m':
        spec = get_task(task)
        higher = spec.higher_is_better[spec.metric]
        assert (hook.pop('save_best'),
                hook.pop('rule')) == (f'{task}/{spec.metric}',
                                      'greater' if higher else 'less')
        twin_hook.pop('save_best')
        twin_hook.pop('rule')
    assert cfg == twin


@pytest.mark.parametrize('name', sorted(ST_CONFIGS))
def test_serves_one_task(name):
    task = ST_CONFIGS[name][0]
    cfg = Config.fromfile(osp.join(ST_DIR, name))
    assert tuple(cfg.tasks) == (task, )
    assert all(tuple(cfg[k].dataset.tasks) == (task, ) for k in LOADERS)
    for loader, evaluator in (('val_dataloader', 'val_evaluator'),
                              ('test_dataloader', 'test_evaluator')):
        dataset = DATASETS.build(dict(cfg[loader].dataset, lazy_init=True))
        metric = METRICS.build(cfg[evaluator])
        metric.dataset_meta = dataset.metainfo  # as mmengine's loops do
        assert metric.tasks == (task, )
        assert set(metric.baseline) <= {task}
    save_best = cfg.default_hooks.checkpoint.save_best
    assert save_best in ('multitask/delta_m', f'{task}/'
                         f'{get_task(task).metric}')


def _build(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    return MODELS.build(model_cfg)


@pytest.fixture(scope='module')
def stock_swin_t_params():
    """The twin's pretrained (frozen) Swin-T weights: the same module."""
    cfg = Config.fromfile(config_path(PASCAL))
    return count_parameters(_build(cfg))['backbone.pretrained']['frozen']


@pytest.mark.parametrize(
    'name',
    [n for n in sorted(ST_CONFIGS) if n.startswith('fullft-st-semseg')])
def test_every_weight_trains(name, stock_swin_t_params):
    cfg = Config.fromfile(osp.join(ST_DIR, name))
    model = _build(cfg)
    model.train()  # where mmseg's Swin applies frozen_stages
    assert model.tasks == ('semseg', )
    counts = count_parameters(model)
    assert set(counts) == {'backbone.pretrained', 'head.semseg', 'total'}
    assert counts['total']['frozen'] == 0
    assert counts['backbone.pretrained']['trainable'] == stock_swin_t_params
    # One backward pass reaches every parameter (eval: SyncBN on CPU).
    model.eval()
    out = model._forward(torch.randn(1, 3, 64, 64))
    sum(v.float().mean() for v in out.values()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []


def test_metafile_lists_every_config_with_its_counts():
    with open(osp.join(ST_DIR, 'metafile.yaml')) as f:
        meta = yaml.safe_load(f)
    collection = meta['Collections'][0]['Name']
    assert osp.isfile(osp.join(REPO, meta['Collections'][0]['README']))
    # The twins' entries: tests/test_configs/test_literature_twins.py.
    models = {
        osp.basename(m['Config']): m
        for m in meta['Models'] if 'literature' not in m['Config']
    }
    assert sorted(models) == sorted(ST_CONFIGS)
    for name, model in models.items():
        assert model['Name'] == osp.splitext(name)[0]
        assert model['In Collection'] == collection
        assert model['Results'] is None
        counts = count_parameters(
            _build(Config.fromfile(osp.join(ST_DIR, name))))['total']
        info = model['Metadata']
        assert info['Tasks'] == [ST_CONFIGS[name][0]]
        assert info['Batch Size'] == 4 * 8
        assert info['Parameters'] == info['Trainable Parameters'] == (
            counts['trainable'])
        assert counts['frozen'] == info['Backbone Added Parameters'] == 0
