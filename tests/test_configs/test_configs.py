"""Every shipped config builds and is consistent across model, data, metric."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, METRICS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'vmt', '*.py')))


def test_configs_found():
    assert len(CONFIGS) >= 6


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_is_consistent(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert 'mmvmt' in cfg.custom_imports.imports
    tasks = tuple(cfg.model.backbone.tasks)
    assert tuple(cfg.model.decode_heads) == tasks
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None
        assert tuple(dataset.tasks) == tasks, loader
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert METRICS.get(evaluator.type) is not None
        assert tuple(evaluator.tasks) == tasks
    # The best-checkpoint key must be one the evaluator reports.
    save_best = cfg.default_hooks.checkpoint.save_best
    if save_best == 'multitask/delta_m':
        assert set(cfg.val_evaluator.get('baseline') or {}), \
            'delta_m needs a baseline'
    else:
        assert save_best.split('/')[0] in tasks
    assert cfg.default_hooks.checkpoint.rule == 'greater'


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if 'demo' not in p], ids=osp.basename)
def test_model_builds_without_downloading(path):
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    trainable = sum(p.numel() for p in model.backbone.parameters()
                    if p.requires_grad)
    total = sum(p.numel() for p in model.backbone.parameters())
    assert 0 < trainable < 0.02 * total  # adapters: ~1% of the backbone
