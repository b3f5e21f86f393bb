"""``tools/train.py`` adds a task: load_from the trained model, frozen tasks.

The runner path of docs/design.md section 3.1: the fit check lets the
initialised model start the new task from its initialisation, DDP-style
freezing holds through the runner's optimizer, and the checkpoint it
writes holds the old tasks' entries unchanged.
"""
import os.path as osp

import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg
from tool_runs import DEMO_CONFIG, run_main, tiny_config

from mmvmt.models.segmentors.frozen_tasks import task_state_keys

BASE = ('semseg', 'normals')
ITERS = 2


def test_train_adds_a_task_and_keeps_the_old_ones(tmp_path, pascal_root,
                                                  pretrained):
    # semseg over the demo set's classes (the loader maps other ids)
    classes = Config.fromfile(DEMO_CONFIG).num_semseg_classes
    model_cfg = tiny_model_cfg(BASE, checkpoint=pretrained)
    model_cfg['decode_heads']['semseg']['num_classes'] = classes
    torch.manual_seed(0)
    base = MODELS.build(model_cfg)
    base.init_weights()
    with torch.no_grad():  # a "trained" base: adapters and heads moved
        for name, param in base.named_parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param) * 0.1)
    base_ckpt = str(tmp_path / 'base.pth')
    torch.save(dict(state_dict=base.state_dict(), meta=dict()), base_ckpt)

    work_dir = str(tmp_path / 'add_sal')
    config = tiny_config(
        work_dir,
        pascal_root,
        pretrained,
        iters=ITERS,
        model_tasks=BASE + ('sal', ),
        load_from=base_ckpt,
        val_cfg=None,  # no validation: not what this test is about
        val_dataloader=None,
        val_evaluator=None,
        **{
            'model.frozen_tasks': BASE,
            'model.decode_heads.semseg.num_classes': classes,
            'train_dataloader.dataset.tasks': BASE + ('sal', )
        })
    run_main('train', config, '--work-dir', work_dir)
    trained = torch.load(
        osp.join(work_dir, f'iter_{ITERS}.pth'),
        map_location='cpu',
        weights_only=True)['state_dict']
    ref = base.state_dict()
    for key in ref:
        assert torch.equal(trained[key], ref[key]), key
    added = Config.fromfile(config).model
    added.backbone.init_cfg = None
    new = set(task_state_keys(MODELS.build(added), 'sal'))
    assert any('added_extraction.sal' in k for k in new)
    assert set(trained) == set(ref) | new
