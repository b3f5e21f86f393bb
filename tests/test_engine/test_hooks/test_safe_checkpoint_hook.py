"""SafeCheckpointHook: a failure at any point of a checkpoint write leaves a
complete checkpoint that ``resume`` continues from (mmengine runner, toy
model)."""
import errno
import itertools
import os
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner, find_latest_checkpoint
from tiny_models import ToyRunnerModel
from torch.utils.data import Dataset

from mmvmt.engine.hooks import SafeCheckpointHook, safe_checkpoint_hook
from mmvmt.utils import checkpoint_io
from mmvmt.utils.checkpoint_io import AtomicLocalBackend

_names = itertools.count()


class ToyData(Dataset):

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((2, ), float(i)))


def train(work_dir: str,
          max_iters: int,
          resume: bool = False,
          **hook_args) -> Runner:
    runner = Runner(
        model=ToyRunnerModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(
                type='SafeCheckpointHook',
                interval=1,
                by_epoch=False,
                max_keep_ckpts=1,
                **hook_args)),
        resume=resume,
        default_scope='mmseg',
        experiment_name=f'safe_ckpt_{next(_names)}')
    runner.train()
    return runner


def fail(*args, **kwargs):
    raise OSError(errno.ENOSPC, 'No space left on device')


def inject(monkeypatch, point: str) -> None:
    """Make the write of the second checkpoint fail at ``point``."""
    calls = dict(put=0, last=0)
    real_put = AtomicLocalBackend.put
    real_fsync, real_replace = os.fsync, os.replace
    real_write = safe_checkpoint_hook.atomic_write_bytes

    def put(self, obj, filepath):
        calls['put'] += 1
        if calls['put'] == 2 and point == 'partial write':
            # the bytes reach the temporary file, then fsync fails
            monkeypatch.setattr(checkpoint_io.os, 'fsync', fail)
        if calls['put'] == 2 and point == 'rename':
            monkeypatch.setattr(checkpoint_io.os, 'replace', fail)
        try:
            real_put(self, obj, filepath)
        finally:
            monkeypatch.setattr(checkpoint_io.os, 'fsync', real_fsync)
            monkeypatch.setattr(checkpoint_io.os, 'replace', real_replace)

    def write_last(data, path):
        calls['last'] += 1
        if calls['last'] == 2 and point == 'last_checkpoint':
            fail()
        real_write(data, path)

    monkeypatch.setattr(AtomicLocalBackend, 'put', put)
    monkeypatch.setattr(safe_checkpoint_hook, 'atomic_write_bytes', write_last)
    if point == 'delete old':
        monkeypatch.setattr(SafeCheckpointHook, '_remove', fail)


#: Failure point -> the iteration of the checkpoint --resume must find.
POINTS = {
    'partial write': 1,
    'rename': 1,
    'last_checkpoint': 1,
    'delete old': 2,
}


@pytest.mark.parametrize('point', list(POINTS))
def test_a_failed_write_leaves_a_complete_checkpoint(tmp_path, monkeypatch,
                                                     point):
    work_dir = str(tmp_path)
    with monkeypatch.context() as patch:
        inject(patch, point)
        with pytest.raises(OSError, match='No space left'):
            train(work_dir, max_iters=3)
    latest = find_latest_checkpoint(work_dir)
    assert osp.basename(latest) == f'iter_{POINTS[point]}.pth'
    ckpt = torch.load(latest, map_location='cpu')
    assert ckpt['meta']['iter'] == POINTS[point]
    assert not [n for n in os.listdir(work_dir) if n.endswith('.tmp')]
    # A temporary file left by a killed write is cleaned up on resume.
    stale = osp.join(work_dir, '.iter_9.pthx1.tmp')
    open(stale, 'wb').close()
    runner = train(work_dir, max_iters=3, resume=True)
    assert runner.iter == 3
    assert not osp.exists(stale)
    assert osp.basename(find_latest_checkpoint(work_dir)) == 'iter_3.pth'
    assert torch.load(
        osp.join(work_dir, 'iter_3.pth'),
        map_location='cpu')['meta']['iter'] == 3


def test_old_checkpoints_go_only_after_the_new_one(tmp_path, monkeypatch):
    """Order of operations at the second save (mmengine deletes first)."""
    events = []
    real_put = AtomicLocalBackend.put
    real_remove = SafeCheckpointHook._remove

    def put(self, obj, filepath):
        real_put(self, obj, filepath)
        events.append(('wrote', osp.basename(filepath)))

    def remove(self, path):
        events.append(('removed', osp.basename(path)))
        real_remove(self, path)

    real_write = safe_checkpoint_hook.atomic_write_bytes

    def write_last(data, path):
        real_write(data, path)
        events.append(('last_checkpoint', osp.basename(data.decode())))

    monkeypatch.setattr(AtomicLocalBackend, 'put', put)
    monkeypatch.setattr(SafeCheckpointHook, '_remove', remove)
    monkeypatch.setattr(safe_checkpoint_hook, 'atomic_write_bytes', write_last)
    train(str(tmp_path), max_iters=2)
    assert events == [
        ('wrote', 'iter_1.pth'), ('last_checkpoint', 'iter_1.pth'),
        ('wrote', 'iter_2.pth'), ('last_checkpoint', 'iter_2.pth'),
        ('removed', 'iter_1.pth')
    ]
    assert sorted(n for n in os.listdir(tmp_path)
                  if n.endswith('.pth')) == ['iter_2.pth']


def test_the_previous_best_survives_a_failed_best_write(tmp_path, monkeypatch):
    runner = train(str(tmp_path), 2, save_best='acc', rule='greater')
    (hook, ) = [h for h in runner.hooks if isinstance(h, SafeCheckpointHook)]
    hook._save_best_checkpoint(runner, dict(acc=0.5))
    first = osp.join(str(tmp_path), 'best_acc_iter_2.pth')
    assert osp.isfile(first)
    runner.train_loop._iter = 3
    with monkeypatch.context() as patch:
        patch.setattr(AtomicLocalBackend, 'put', fail)
        with pytest.raises(OSError, match='No space left'):
            hook._save_best_checkpoint(runner, dict(acc=0.9))
    assert torch.load(first, map_location='cpu')['meta']['iter'] == 2
    # What a resume restores from the last complete checkpoint.
    hook.best_ckpt_path = first
    runner.message_hub.update_info('best_score', 0.5)
    hook._save_best_checkpoint(runner, dict(acc=0.9))
    assert not osp.exists(first)
    best = osp.join(str(tmp_path), 'best_acc_iter_3.pth')
    assert torch.load(best, map_location='cpu')['meta']['iter'] == 3
    # A better score at the same iteration rewrites the same file name:
    # the deferred deletion of the "previous" best must not delete it.
    hook._save_best_checkpoint(runner, dict(acc=0.95))
    assert osp.isfile(best)
