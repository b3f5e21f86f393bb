"""Fixtures of the tool tests: one training run shared by the session.

``tools/train.py`` trains the tiny model once (adapter-only checkpoints),
``tools/test.py`` evaluates its checkpoint once with every output option;
the tests read what those runs wrote. Both tools run in-process through
their ``main(argv)`` (tool_runs.py); only the DDP test starts processes.
"""
import os.path as osp
from typing import Dict

import pytest
import torch
from mmseg.registry import MODELS
from probe_hooks import SaveFullStateHook  # noqa: F401  (registers hooks)
from tiny_models import tiny_model_cfg
from tool_runs import (IMAGE_SIZE, NUM_VAL, PASCAL_TASKS, TRAIN_ITERS,
                       run_main, run_test_tool, tiny_config)

from mmvmt.datasets.pascal_mt_conversion import convert_pascal_mt
from mmvmt.testing.demo_data import generate_demo_data


@pytest.fixture(scope='session')
def pascal_root(tmp_path_factory) -> str:
    """A small converted PASCAL_MT demo tree (12 train / 4 val, 64x80)."""
    root = str(tmp_path_factory.mktemp('tools_demo'))
    generate_demo_data(
        root,
        dataset='pascal',
        num_train=12,
        num_val=NUM_VAL,
        size=IMAGE_SIZE,
        seed=0)
    convert_pascal_mt(osp.join(root, 'PASCAL_MT'), progress=False)
    return osp.join(root, 'PASCAL_MT')


@pytest.fixture(scope='session')
def pretrained(tmp_path_factory) -> str:
    """A 'pretrained' tiny Swin checkpoint, so frozen weights are fixed."""
    path = str(tmp_path_factory.mktemp('pretrained') / 'tiny_swin.pth')
    cfg = tiny_model_cfg()['backbone']
    cfg = {
        k: v
        for k, v in cfg.items()
        if k not in ('tasks', 'adapter_cfg', 'always_dict', 'init_cfg')
    }
    torch.manual_seed(0)
    swin = MODELS.build(dict(cfg, type='SwinTransformer'))
    torch.save(dict(state_dict=swin.state_dict()), path)
    return path


@pytest.fixture(scope='session')
def trained(tmp_path_factory, pascal_root, pretrained) -> Dict[str, str]:
    """``tools/train.py --adapter-only`` for :data:`TRAIN_ITERS` iterations.

    A test-only hook also saves the trained model's full state dict, so the
    trainable-only checkpoint can be compared with the full one.

    Returns:
        dict: ``config``, ``work_dir``, ``checkpoint`` (trainable-only,
        written by the tool) and ``full_checkpoint``.
    """
    work_dir = str(tmp_path_factory.mktemp('train'))
    full = osp.join(work_dir, 'full.pth')
    # A list of evaluators must work with --out too (mmseg's test.py fails).
    evaluator = [
        dict(
            type='MultiTaskMetric',
            tasks=PASCAL_TASKS,
            baseline=dict(
                semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
    ]
    config = tiny_config(
        work_dir,
        pascal_root,
        pretrained,
        test_evaluator=evaluator,
        custom_hooks=[
            dict(type='TrainableCheckpointHook'),
            dict(type='SaveFullStateHook', path=full)
        ])
    run_main('train', config, '--work-dir', work_dir, '--adapter-only')
    return dict(
        config=config,
        work_dir=work_dir,
        full_checkpoint=full,
        checkpoint=osp.join(work_dir, f'iter_{TRAIN_ITERS}.pth'))


@pytest.fixture(scope='session')
def tested(tmp_path_factory, trained) -> str:
    """``tools/test.py`` on the trainable-only checkpoint (see above)."""
    return run_test_tool(trained['config'], trained['checkpoint'],
                         str(tmp_path_factory.mktemp('test_adapter')))
