"""configs/baselines: the VMT configs with only the backbone method changed.

Each baseline config must take data, schedule, runtime, heads, losses and
metric from the same bases as its VMT config, and its metafile entry must
carry the built model's parameter counts.
"""
import copy
import glob
import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config
from mmseg.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BASELINES = osp.join(REPO, 'configs', 'baselines')
VMT = {
    'pascal-context-mt-448x448':
    'configs/vmt/vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py',
    'nyud-mt-448x576': 'configs/vmt/vmt_swin-t_4xb8-40k_nyud-mt-448x576.py',
}
#: The VMT config of a baseline's Swin (``swin-t``, ``-s``, ``-b``) and data.
VMT_OF = 'configs/vmt/vmt_{swin}_4xb8-40k_{data}.py'
NAME = re.compile(r'^(?P<method>[a-z0-9-]+)_(?P<swin>swin-[tsb])_4xb8-40k_'
                  r'(?P<data>pascal-context-mt-448x448|nyud-mt-448x576)\.py$')
#: Keys of the VMT backbone that the stock Swin does not take.
VMT_ONLY = ('type', 'adapter_cfg', 'trainable_patterns')
#: Everything but the model's backbone must equal the VMT config's.
SAME = ('train_dataloader', 'val_dataloader', 'test_dataloader',
        'val_evaluator', 'test_evaluator', 'optim_wrapper', 'param_scheduler',
        'train_cfg', 'val_cfg', 'test_cfg', 'default_hooks', 'default_scope',
        'custom_imports', 'env_cfg', 'visualizer', 'log_processor')
ALL_CONFIGS = sorted(
    osp.basename(p) for p in glob.glob(osp.join(BASELINES, '*.py')))
#: The literature twins are their originals but the data protocol:
#: tests/test_configs/test_literature_twins.py checks them against these.
CONFIGS = [n for n in ALL_CONFIGS if 'literature' not in n]


def _metafile():
    with open(osp.join(BASELINES, 'metafile.yaml')) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize('name', CONFIGS)
def test_baseline_differs_from_vmt_only_in_the_backbone(name):
    match = NAME.match(name)
    assert match, name
    cfg = Config.fromfile(osp.join(BASELINES, name)).to_dict()
    vmt_path = VMT_OF.format(**match.groupdict())
    vmt = Config.fromfile(osp.join(REPO, vmt_path)).to_dict()
    for key in SAME:
        assert cfg.get(key) == vmt.get(key), (name, key)
    model, vmt_model = dict(cfg['model']), dict(vmt['model'])
    backbone = model.pop('backbone')
    vmt_backbone = vmt_model.pop('backbone')
    assert model == vmt_model  # heads, preprocessor, losses, test mode
    assert 'tasks' not in backbone
    stock = backbone if match['method'] == 'fullft' else backbone['backbone']
    assert stock.pop('type') == 'SwinTransformer'
    assert stock == {
        k: v
        for k, v in vmt_backbone.items() if k not in VMT_ONLY
    }
    if match['method'] != 'fullft':
        assert backbone['type'] == 'PEFTBackbone'
        # '-shared' / '-per-task' in the name must say what the config
        # does; methods that are per task by design (Polyhistor-Lite) carry
        # neither.
        for suffix, per_task in (('-per-task', True), ('-shared', False)):
            if match['method'].endswith(suffix):
                assert backbone['per_task'] == per_task, name


def test_metafile_lists_every_baseline():
    meta = _metafile()
    listed = [m['Config'] for m in meta['Models']]
    assert sorted(listed) == [f'configs/baselines/{n}' for n in ALL_CONFIGS]
    for collection in meta['Collections']:
        assert osp.isfile(osp.join(REPO, collection['README']))


@pytest.mark.parametrize(
    'entry',
    [m for m in _metafile()['Models'] if 'literature' not in m['Name']],
    ids=lambda m: m['Name'])
def test_metafile_counts_are_the_built_models(entry):
    cfg = Config.fromfile(osp.join(REPO, entry['Config']))
    assert entry['Name'] == osp.splitext(osp.basename(entry['Config']))[0]
    meta = entry['Metadata']
    assert tuple(meta['Tasks']) == tuple(cfg.train_dataloader.dataset.tasks)
    assert meta['Batch Size'] == 4 * cfg.train_dataloader.batch_size
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.backbone.get('backbone', model_cfg.backbone)
    backbone.init_cfg = None  # no download
    model = MODELS.build(model_cfg)
    params = list(model.parameters())
    stock = sum(p.numel() for n, p in model.backbone.named_parameters()
                if not n.startswith(('peft.', 'task_tuned.')))
    assert meta['Parameters'] == sum(p.numel() for p in params)
    assert meta['Trainable Parameters'] == sum(p.numel() for p in params
                                               if p.requires_grad)
    assert meta['Backbone Trainable Parameters'] == sum(
        p.numel() for p in model.backbone.parameters() if p.requires_grad)
    assert meta['Backbone Added Parameters'] == sum(
        p.numel() for p in model.backbone.parameters()) - stock
