"""Baselines under real 2-process CPU DDP (torchrun, gloo).

MTLoRA is the method whose multi-task pass runs outside the stock Swin
forward; under ``find_unused_parameters=False`` (mmengine's default) any
trainable parameter without a gradient stops DDP at iteration 2.
"""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from tool_runs import REPO

from mmvmt.benchmark import demo_config_of, to_demo_config

MTLORA = 'configs/baselines/mtlora-r16_swin-t_4xb8-40k_pascal-context-mt-448x448.py'  # noqa


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def demo_run_config(path: str, work_dir: str, data_root: str,
                    iters: int) -> str:
    """The config at demo scale on ``data_root``: ``iters`` iterations, a
    checkpoint at the end, no validation, no loader workers."""
    cfg = to_demo_config(
        Config.fromfile(osp.join(REPO, path)),
        Config.fromfile(osp.join(REPO, demo_config_of('pascal'))))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_begin = iters + 1
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.checkpoint.save_best = None
    cfg.default_hooks.logger.interval = 1
    out = osp.join(work_dir, 'config.py')
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(out)
    return out


@pytest.mark.e2e
def test_mtlora_trains_two_iterations_under_two_process_ddp(
        tmp_path, pascal_root):
    work_dir = str(tmp_path / 'work')
    config = demo_run_config(MTLORA, work_dir, pascal_root, iters=2)
    env = dict(
        os.environ, PORT=str(_free_port()), PYTHONPATH='', OMP_NUM_THREADS='1')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Expected to have finished reduction' not in log
    assert 'terminate called' not in log
    ckpt = torch.load(
        osp.join(work_dir, 'iter_2.pth'),
        map_location='cpu',
        weights_only=False)
    assert ckpt['meta']['iter'] == 2
    assert any('task_branch' in k for k in ckpt['state_dict'])
