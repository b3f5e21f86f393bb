"""Run the repository tools in-process on the tiny model and data.

Helpers of the tool tests (their fixtures are in conftest.py).
"""
import importlib.util
import itertools
import os
import os.path as osp
from types import ModuleType

import pytest
from mmengine.config import Config
from tiny_models import tiny_model_cfg

__all__ = [
    'REPO', 'DEMO_CONFIG', 'PASCAL_TASKS', 'TRAIN_ITERS', 'IMAGE_SIZE',
    'NUM_VAL', 'load_tool', 'run_main', 'tiny_config', 'run_test_tool'
]

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'vmt', 'swin-t_pascal_demo.py')
PASCAL_TASKS = ('semseg', 'human_parts', 'sal', 'normals')
#: Iterations of the shared training run (one checkpoint, at the end).
TRAIN_ITERS = 30
#: Size of the generated images (H, W) and number of val images.
IMAGE_SIZE = (64, 80)
NUM_VAL = 4

_run_ids = itertools.count()


def load_tool(name: str) -> ModuleType:
    """Import ``tools/<name>.py`` (``tools`` is not a package).

    Args:
        name: Path below ``tools/`` without ``.py``, e.g. ``'train'`` or
            ``'analysis_tools/count_params'``.
    """
    path = osp.join(REPO, 'tools', f'{name}.py')
    module_name = 'mmvmt_tool_' + name.replace('/', '_')
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(tool: str, *argv: str) -> None:
    """Run ``tools/<tool>.py``'s ``main(argv)`` in this process.

    Each run gets its own experiment name, so mmengine's per-name global
    instances (logger, message hub, visualiser) are not shared between
    runs of one process; ``LOCAL_RANK``, which the tools' ``parse_args``
    set, is restored afterwards.
    """
    name = f'tools_test_{next(_run_ids)}'
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv('LOCAL_RANK', raising=False)
        load_tool(tool).main([
            *argv, '--cfg-options', f'experiment_name={name}',
            f'visualizer.name={name}'
        ])


def tiny_config(work_dir: str,
                data_root: str,
                checkpoint: str,
                iters: int = TRAIN_ITERS,
                model_tasks=PASCAL_TASKS,
                **extra) -> str:
    """The demo config with the tiny model, tiny data and a short run.

    Returns:
        str: Path of the dumped config (``<work_dir>/config.py``).
    """
    cfg = Config.fromfile(DEMO_CONFIG)
    model = tiny_model_cfg(model_tasks, checkpoint=checkpoint)
    model['backbone']['always_dict'] = False
    model['data_preprocessor'] = cfg.model.data_preprocessor.to_dict()
    cfg.model = model
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.optim_wrapper.optimizer.lr = 1e-2
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=iters,
        save_best=None)
    cfg.work_dir = work_dir
    cfg.merge_from_dict(extra)
    path = osp.join(work_dir, 'config.py')
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(path)
    return path


def run_test_tool(config: str, checkpoint: str, out_root: str) -> str:
    """``tools/test.py`` with ``--out`` and ``--show-dir`` under one root
    (no interval: every image is drawn).

    Returns:
        str: ``out_root``; predictions in ``out``, drawings in ``show``.
    """
    run_main('test', config, checkpoint, '--work-dir',
             osp.join(out_root, 'work'), '--out', osp.join(out_root, 'out'),
             '--show-dir', osp.join(out_root, 'show'))
    return out_root
