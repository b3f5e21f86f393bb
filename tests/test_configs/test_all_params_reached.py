"""Every shipped method config is safe under DDP: one loss backward gives
every trainable parameter a gradient.

``DistributedDataParallel(find_unused_parameters=False)`` (mmengine's
default) stops at the second iteration when a trainable parameter got no
gradient. Each config of configs/vmt, configs/baselines and
configs/single_task (PASCAL and NYUD, default and literature twins, demos)
is moved to the demo's small Swin (``to_demo_config``, random init) with
narrow heads, built once per distinct model, and trained for one loss on
random 32x32 targets of every task.
"""
import glob
import json
import os.path as osp

import torch
from config_paths import REPO
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS
from torch import nn

from mmvmt.benchmark import demo_config_of
from mmvmt.benchmark.transplant import set_swin_checkpoint, to_demo_config
from mmvmt.testing.random_batch import random_batch

FOLDERS = ('vmt', 'baselines', 'single_task')
SIZE = 32
#: Width of the heads (their ``channels``), to keep the test fast.
HEAD_CHANNELS = 8


def shipped_configs():
    """Every config of :data:`FOLDERS`, sorted."""
    return sorted(
        p for folder in FOLDERS
        for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py')))


def _benchmark(path: str) -> str:
    return 'nyud' if 'nyud' in osp.basename(path) else 'pascal'


def demo_model_cfg(path: str, demos: dict) -> dict:
    """The config's model on the demo Swin (random init), narrow heads."""
    bench = _benchmark(path)
    if bench not in demos:
        demos[bench] = Config.fromfile(osp.join(REPO, demo_config_of(bench)))
    cfg = to_demo_config(Config.fromfile(path), demos[bench])
    set_swin_checkpoint(cfg, None)
    model = cfg.model.to_dict()
    for head in model['decode_heads'].values():
        if 'channels' in head:
            head['channels'] = HEAD_CHANNELS
    return model


def unreached_parameters(model: nn.Module) -> list:
    """Trainable parameters without a gradient after one loss backward."""
    model.train()
    inputs, samples = random_batch(model, 2, SIZE)
    losses = model.loss(inputs, samples)
    loss, _ = model.parse_losses(losses)
    loss.backward()
    return [
        n for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]


def test_every_trainable_parameter_of_every_config_gets_a_gradient():
    paths = shipped_configs()
    assert len(paths) > 80  # all three folders, both benchmarks, twins
    demos, models = {}, {}
    for path in paths:
        key = json.dumps(demo_model_cfg(path, demos), sort_keys=True)
        models.setdefault(key, []).append(osp.relpath(path, REPO))
    torch.manual_seed(0)
    failures = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: threads only add overhead
    try:
        for key, names in models.items():
            model = revert_sync_batchnorm(MODELS.build(json.loads(key)))
            unreached = unreached_parameters(model)
            if unreached:
                failures[names[0]] = unreached
    finally:
        torch.set_num_threads(threads)
    assert failures == {}
