"""Runner checkpoints load under torch >= 2.6's weights_only default."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner

import mmvmt  # noqa: F401  (installs the allow-list)


class ToyModel(BaseModel):
    """A one-layer regression model for a real mmengine Runner."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        pred = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((pred - targets)**2).mean())
        return pred


class ToyDataset(torch.utils.data.Dataset):
    """Eight fixed (x, y) pairs."""

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        x = torch.tensor([float(idx), 1.0])
        return dict(inputs=x, targets=x.sum().reshape(1))


def _runner(work_dir, resume=False, max_iters=2):
    return Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False)),
        resume=resume,
        default_scope='mmengine')


def test_runner_checkpoint_resumes(tmp_path):
    runner = _runner(str(tmp_path))
    runner.train()
    ckpt = osp.join(str(tmp_path), 'iter_2.pth')
    raw = torch.load(ckpt, map_location='cpu')  # weights_only=True default
    scalars = raw['message_hub']['log_scalars']
    assert isinstance(scalars['train/loss'], HistoryBuffer)
    resumed = _runner(str(tmp_path), resume=True, max_iters=4)
    resumed.train()
    assert resumed.iter == 4


def test_numpy_scalars_and_arrays_load(tmp_path):
    path = str(tmp_path / 'meta.pth')
    meta = dict(f=np.float64(0.5), i=np.int64(3), a=np.arange(3.0),
                b=np.bool_(True))
    torch.save(dict(meta=meta), path)
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert loaded['meta']['i'] == 3 and loaded['meta']['f'] == 0.5
    np.testing.assert_array_equal(loaded['meta']['a'], np.arange(3.0))


class Payload:
    """An arbitrary object that must never be unpickled."""


class GetattrPayload:
    """Asks the loader for getattr() on something else than HistoryBuffer."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


@pytest.mark.parametrize('payload', [Payload(), GetattrPayload()])
def test_arbitrary_objects_are_refused(tmp_path, payload):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, extra=payload), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu')
