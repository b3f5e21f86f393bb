"""tools/train.py and tools/test.py end to end, adapter-only checkpoints, DDP.

The training and test runs are session fixtures (conftest.py), run
in-process; ``test_two_process_ddp_on_cpu`` is the one real multi-process
run.
"""
import filecmp
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import mmcv
import pytest
import torch
from tool_runs import (DEMO_CONFIG, IMAGE_SIZE, NUM_VAL, PASCAL_TASKS, REPO,
                       TRAIN_ITERS, run_main, run_test_tool, tiny_config)

from mmvmt.engine import TaskListError
from mmvmt.engine.hooks.trainable_checkpoint_hook import \
    TRAINABLE_ONLY_META_KEY


def read_losses(work_dir):
    """Total training losses logged by mmengine (scalars.json)."""
    (run_dir, ) = [
        d for d in os.listdir(work_dir)
        if osp.isdir(osp.join(work_dir, d, 'vis_data'))
    ]
    path = osp.join(work_dir, run_dir, 'vis_data', 'scalars.json')
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return [row['loss'] for row in rows if 'loss' in row]


def test_train_lowers_the_loss(trained):
    losses = read_losses(trained['work_dir'])
    assert len(losses) == TRAIN_ITERS
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.8 * first, losses


def test_test_writes_metrics_and_every_task(tested):
    out = osp.join(tested, 'out')
    with open(osp.join(out, 'metrics.json')) as f:
        metrics = json.load(f)
    for key in ('semseg/mIoU', 'human_parts/mIoU', 'sal/mIoU', 'sal/maxF',
                'normals/mean', 'multitask/delta_m'):
        assert key in metrics
    for task in PASCAL_TASKS:
        files = os.listdir(osp.join(out, task))
        assert len(files) == NUM_VAL
        assert all(f.endswith('.png') for f in files)


def test_show_dir_draws_every_task(tested, pascal_root):
    with open(osp.join(pascal_root, 'ImageSets', 'Context', 'val.txt')) as f:
        val_ids = f.read().split()
    # LocalVisBackend: <save_dir>/vis_data/vis_image/<name>_<step>.png
    image_dir = osp.join(tested, 'show', 'vis_data', 'vis_image')
    assert sorted(os.listdir(image_dir)) == sorted(f'test_{i}.jpg_0.png'
                                                   for i in val_ids)
    height, width = IMAGE_SIZE
    for name in os.listdir(image_dir):
        # At least 2 rows (GT, pred) x (image + 4 tasks) tiles of the image
        # size (legends may add to it).
        shape = mmcv.imread(osp.join(image_dir, name)).shape
        assert shape[0] >= 2 * height and shape[1] >= 5 * width, shape


def test_adapter_only_checkpoint_holds_only_trainable_weights(trained):
    ckpt = torch.load(trained['checkpoint'], map_location='cpu')
    full = torch.load(trained['full_checkpoint'], map_location='cpu')
    assert ckpt['meta'][TRAINABLE_ONLY_META_KEY] is True
    keys = set(ckpt['state_dict'])
    assert set(full['meta']['trainable']) <= keys
    assert full['meta']['frozen'] and not keys & set(full['meta']['frozen'])
    assert keys <= set(full['state_dict'])
    for key in keys:
        torch.testing.assert_close(ckpt['state_dict'][key],
                                   full['state_dict'][key])
    assert osp.getsize(trained['checkpoint']) < osp.getsize(
        trained['full_checkpoint'])


def test_adapter_only_checkpoint_predicts_as_the_full_one(
        tmp_path, trained, tested):
    """Loaded on top of the pretrained backbone: identical outputs."""
    full = run_test_tool(trained['config'], trained['full_checkpoint'],
                         str(tmp_path))
    out_full, out_adapter = osp.join(full, 'out'), osp.join(tested, 'out')
    assert set(os.listdir(out_full)) == set(os.listdir(out_adapter))
    for task in PASCAL_TASKS:
        files = sorted(os.listdir(osp.join(out_full, task)))
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(out_full, task),
            osp.join(out_adapter, task),
            files,
            shallow=False)
        assert match == files, (task, mismatch, errors)
    assert filecmp.cmp(
        osp.join(out_full, 'metrics.json'),
        osp.join(out_adapter, 'metrics.json'),
        shallow=False)


def test_head_for_a_task_the_dataset_lacks_fails_clearly(
        tmp_path, pascal_root, pretrained):
    """Refused before the runner is built (mmvmt.engine.task_lists; the
    segmentor's KeyError for a sample without the task's ground truth,
    tests/test_models/test_segmentors.py, stays for runners built without
    tools/train.py)."""
    config = tiny_config(
        str(tmp_path / 'work'),
        pascal_root,
        pretrained,
        iters=1,
        model_tasks=('semseg', 'depth'))
    with pytest.raises(
            TaskListError,
            match=r"the heads of \['depth'\] get no ground truth"):
        run_main('train', config)


def free_port():
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.e2e
def test_dist_train_runs_the_shipped_demo_config_on_two_cpus(
        tmp_path, pascal_root):
    """tools/dist_train.sh with configs/vmt/swin-t_pascal_demo.py as
    shipped (the pretrained demo Swin of demo/weights, SyncBN heads):
    torchrun, gloo, SyncBN -> BN. Only the
    data root, the run length and the loader workers are overridden."""
    work_dir = str(tmp_path / 'work')
    options = [
        f'{loader}.{key}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key in (f'dataset.data_root={pascal_root}', 'num_workers=0',
                    'persistent_workers=False')
    ]
    options += [
        'train_cfg.max_iters=2', 'train_cfg.val_begin=3',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.checkpoint.save_best=None'
    ]
    env = dict(
        os.environ, PORT=str(free_port()), PYTHONPATH='', OMP_NUM_THREADS='1')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    proc = subprocess.run([
        'bash', 'tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir',
        work_dir, '--cfg-options', *options
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'SyncBatchNorm layers to BatchNorm' in log
    assert 'random seed: ' in log
    ckpt = torch.load(osp.join(work_dir, 'iter_2.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 2
