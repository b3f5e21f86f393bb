"""configs/vmt/add_task: the two steps of `make demo-add-task`.

Step 1 is the PASCAL demo on semseg + normals; step 2 adds saliency with
one option (`model.frozen_tasks`) on step 1's config. Both build, serve
their dataset's tasks, and step 2 trains only saliency's own parameters.
"""
import copy
import os.path as osp

from mmengine.config import Config
from mmseg.registry import MODELS

from mmvmt.models.segmentors.frozen_tasks import task_state_keys

FOLDER = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'vmt', 'add_task')
BASE = 'swin-t_pascal-semseg-normals_demo.py'
ADDED = 'swin-t_pascal-semseg-normals_add-sal_demo.py'
DEMO = osp.join(osp.dirname(FOLDER), 'swin-t_pascal_demo.py')


def _load(name):
    return Config.fromfile(osp.join(FOLDER, name))


def _build(cfg):
    model = copy.deepcopy(cfg.model)
    model.backbone.init_cfg = None
    return MODELS.build(model)


def test_step_1_is_the_demo_on_two_tasks():
    cfg, demo = _load(BASE), Config.fromfile(DEMO)
    tasks = ('semseg', 'normals')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert tuple(cfg[loader].dataset.tasks) == tasks
    assert tuple(cfg.model.decode_heads) == tasks
    for task in tasks:
        assert cfg.model.decode_heads[task] == demo.model.decode_heads[task]
    assert cfg.model.backbone == demo.model.backbone
    assert cfg.val_evaluator == demo.val_evaluator  # no delta_m baseline
    assert cfg.train_cfg == demo.train_cfg


def test_step_2_adds_sal_and_trains_only_it():
    cfg, base = _load(ADDED), _load(BASE)
    tasks = ('semseg', 'normals', 'sal')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert tuple(cfg[loader].dataset.tasks) == tasks
    assert tuple(cfg.model.frozen_tasks) == tuple(base.model.decode_heads)
    # the same model but the new head and the option
    for key in ('backbone', 'data_preprocessor', 'test_cfg'):
        assert cfg.model[key] == base.model[key], key
    assert cfg.load_from.endswith(f'/iter_{base.train_cfg.max_iters}.pth')
    model = _build(cfg)
    assert model.tasks == tasks and model.backbone.added_tasks == ('sal', )
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == set(task_state_keys(model, 'sal')) & set(
        dict(model.named_parameters()))
    # step 1's state dict holds every entry of step 2 but saliency's
    keys = set(_build(base).state_dict())
    assert set(model.state_dict()) - keys == set(task_state_keys(model, 'sal'))
