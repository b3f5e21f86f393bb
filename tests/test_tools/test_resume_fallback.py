"""Fault injection: a run killed before its first ``last_checkpoint`` is
written resumes from the complete checkpoint it saved, with its seed (issue
17: mmengine printed "Did not find last_checkpoint" and started over with a
new seed)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner
from tool_runs import run_main, tiny_config

from mmvmt.engine.hooks import safe_checkpoint_hook


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler sees it."""


def _config(work_dir, pascal_root, pretrained, iters):
    # One checkpoint, at the end; no validation (not under test here).
    return tiny_config(
        work_dir,
        pascal_root,
        pretrained,
        iters=iters,
        train_cfg=dict(
            type='IterBasedTrainLoop', max_iters=iters, val_interval=1000))


def test_a_kill_before_the_first_last_checkpoint_loses_nothing(
        tmp_path, monkeypatch, pascal_root, pretrained):
    work_dir = str(tmp_path / 'work')
    real_write = safe_checkpoint_hook.atomic_write_bytes

    def killed_at_last_checkpoint(data, path):
        if osp.basename(path) == 'last_checkpoint':
            raise Killed
        real_write(data, path)

    with monkeypatch.context() as patch:
        patch.setattr(safe_checkpoint_hook, 'atomic_write_bytes',
                      killed_at_last_checkpoint)
        with pytest.raises(Killed):
            run_main('train', _config(work_dir, pascal_root, pretrained, 2))
    saved = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(saved)
    assert not osp.exists(osp.join(work_dir, 'last_checkpoint'))
    seed = torch.load(saved, map_location='cpu')['meta']['seed']

    resumed = []
    real_resume = Runner.resume

    def spy(self, filename, *args, **kwargs):
        resumed.append(filename)
        return real_resume(self, filename, *args, **kwargs)

    monkeypatch.setattr(Runner, 'resume', spy)
    run_main('train', _config(work_dir, pascal_root, pretrained, 3),
             '--resume')
    assert resumed == [saved]
    meta = torch.load(
        osp.join(work_dir, 'iter_3.pth'), map_location='cpu')['meta']
    assert (meta['iter'], meta['seed']) == (3, seed)
    logs = ''.join(
        open(p).read()
        for p in glob.glob(osp.join(work_dir, '*', '*.log')))
    assert (f'{work_dir} has no last_checkpoint: resuming from the newest '
            f'complete checkpoint {saved} (iteration 2') in logs
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work_dir, 'iter_3.pth')
