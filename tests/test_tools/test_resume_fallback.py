"""Fault injection: a run killed before its first ``last_checkpoint`` is
written resumes from the complete checkpoint it saved, with its seed (issue
17: mmengine printed "Did not find last_checkpoint" and started over with a
new seed). The resume choice of ``tools/train.py`` drives an mmengine runner
of a toy model, in-process."""
import itertools
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from tiny_models import ToyRunnerModel
from tool_runs import load_tool
from torch.utils.data import Dataset

from mmvmt.engine.hooks import safe_checkpoint_hook

_names = itertools.count()


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler sees it."""


class ToyData(Dataset):

    def __len__(self) -> int:
        return 16

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i), 1.]))


def _train(work_dir: str, **runner_args) -> Runner:
    """4 iterations, a checkpoint every 2, from one init; the sampler's
    order depends on the seed, so a resume with another seed would train
    on other data."""
    torch.manual_seed(0)
    runner = Runner(
        model=ToyRunnerModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(
                type='SafeCheckpointHook', interval=2, by_epoch=False)),
        default_scope='mmseg',
        experiment_name=f'resume_fallback_{next(_names)}',
        **runner_args)
    runner.train()
    return runner


def test_a_kill_before_the_first_last_checkpoint_loses_nothing(
        tmp_path, monkeypatch):
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
            _train(work_dir)  # a seed drawn at random
    saved = osp.join(work_dir, 'iter_2.pth')
    assert not osp.exists(osp.join(work_dir, 'last_checkpoint'))
    seed = torch.load(saved, map_location='cpu')['meta']['seed']

    # tools/train.py --resume: what it sets before building the runner.
    train_tool = load_tool('train')
    cfg = Config(dict(work_dir=work_dir, resume=True))
    note = train_tool.choose_resume_checkpoint(cfg)
    assert (cfg.load_from, cfg.resume) == (saved, True)
    assert note.startswith(f'{work_dir} has no last_checkpoint: resuming '
                           f'from the newest complete checkpoint {saved} '
                           f'(iteration 2, epoch 0, seed {seed})')
    assert train_tool.resumed_seed(cfg) == (
        seed, f'the seed of the resumed checkpoint {saved}')

    resumed = []
    real_resume = Runner.resume

    def spy(self, filename, *args, **kwargs):
        resumed.append(filename)
        return real_resume(self, filename, *args, **kwargs)

    monkeypatch.setattr(Runner, 'resume', spy)
    runner = _train(
        work_dir,
        resume=cfg.resume,
        load_from=cfg.load_from,
        randomness=cfg.randomness)
    assert resumed == [saved] and runner.seed == seed
    # The same weights as a run that was never interrupted.
    whole = _train(str(tmp_path / 'whole'), randomness=dict(seed=seed))
    for name, value in whole.model.state_dict().items():
        assert torch.equal(runner.model.state_dict()[name], value), name
