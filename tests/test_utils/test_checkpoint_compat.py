"""Runner checkpoints load under torch >= 2.6's weights_only default."""
import os.path as osp
import pickle
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner

from mmvmt.utils import checkpoint_compat


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


def _train(work_dir):
    runner = Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=2),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False)),
        default_scope='mmengine')
    runner.train()
    return osp.join(work_dir, 'iter_2.pth')


def test_runner_checkpoint_loads_with_weights_only(tmp_path):
    ckpt = _train(str(tmp_path))
    raw = torch.load(ckpt, map_location='cpu', weights_only=True)
    scalars = raw['message_hub']['log_scalars']
    loss = scalars['train/loss']
    assert isinstance(loss, HistoryBuffer)
    # The statistics methods come back through the restricted getattr.
    values, counts = loss.data
    assert len(values) == 2 and counts.tolist() == [1, 1]
    assert loss.mean() == pytest.approx(values.mean())
    assert loss.current() == values[-1]


def test_numpy_scalars_and_arrays_load(tmp_path):
    path = str(tmp_path / 'meta.pth')
    meta = dict(
        f=np.float64(0.5), i=np.int64(3), a=np.arange(3.0), b=np.bool_(True))
    torch.save(dict(meta=meta), path)
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert torch.load(path, weights_only=True)['meta']['b']
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


def _names(entries):
    """Pickle names of allow-list entries (classes or (obj, name) pairs)."""
    return {
        e[1] if isinstance(e, tuple) else f'{e.__module__}.{e.__qualname__}'
        for e in entries
    }


def test_numpy_1_falls_back_to_numpy_core(monkeypatch):
    """Numpy 1 has no ``numpy._core``: multiarray comes from numpy.core."""
    expected = checkpoint_compat._numpy_globals()
    fake = types.ModuleType('numpy.core.multiarray')
    fake._reconstruct = lambda *args: None
    fake.scalar = lambda *args: None
    monkeypatch.setitem(sys.modules, 'numpy._core', None)
    monkeypatch.setitem(sys.modules, 'numpy._core.multiarray', None)
    monkeypatch.setitem(sys.modules, 'numpy.core.multiarray', fake)
    with pytest.raises(ImportError):
        import numpy._core.multiarray  # noqa: F401
    assert checkpoint_compat._import_multiarray() is fake
    entries = checkpoint_compat._numpy_globals()
    # Both pickle names are still registered, now bound to numpy.core's.
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        assert (fake._reconstruct, f'{module}._reconstruct') in entries
        assert (fake.scalar, f'{module}.scalar') in entries
    assert _names(entries) == _names(expected)
    assert len(entries) == len(expected)


def test_no_multiarray_at_all_is_an_import_error(monkeypatch):
    for name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match='none of'):
        checkpoint_compat._import_multiarray()


def test_allow_list_is_complete():
    names = _names(checkpoint_compat.SAFE_CHECKPOINT_GLOBALS)
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        assert {f'{module}._reconstruct', f'{module}.scalar'} <= names
    assert {
        'numpy.ndarray', 'numpy.dtype', 'builtins.getattr',
        'mmengine.logging.history_buffer.HistoryBuffer'
    } <= names
    assert _names([type(np.dtype(np.float64))]) <= names
