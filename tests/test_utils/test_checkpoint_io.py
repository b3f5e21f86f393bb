"""Atomic writes, and checkpoint reads whose errors name the file."""
import errno
import os
import pickle
import signal
import time

import pytest
import torch
from mmengine.runner import CheckpointLoader

from mmvmt.utils import checkpoint_io
from mmvmt.utils.checkpoint_io import (AtomicLocalBackend, CheckpointReadError,
                                       atomic_write_bytes, is_temporary_file,
                                       load_local_checkpoint,
                                       read_checkpoint_meta)


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / 'sub' / 'a.pth'
    atomic_write_bytes(b'old', path)
    AtomicLocalBackend().put(b'new', str(path))
    assert path.read_bytes() == b'new'
    assert os.listdir(path.parent) == ['a.pth']


def test_a_full_disk_names_the_file_and_keeps_the_old_one(
        tmp_path, monkeypatch):
    path = tmp_path / 'iter_4.pth'
    path.write_bytes(b'complete')

    def no_space(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(checkpoint_io.os, 'fsync', no_space)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(b'x' * 100, path)
    assert info.value.errno == errno.ENOSPC
    assert str(path) in str(info.value)
    assert 'No space left on device' in str(info.value)
    assert path.read_bytes() == b'complete'
    assert os.listdir(tmp_path) == ['iter_4.pth']


def test_temporary_names():
    assert is_temporary_file('/w/.iter_4.pthab12.tmp')
    assert not is_temporary_file('/w/iter_4.pth')
    assert not is_temporary_file('.hidden')


@pytest.mark.parametrize('content, match', [
    (b'', r'is empty \(0 bytes\)'),
    (b'not a checkpoint at all', r'\(23 bytes\) cannot be read'),
])
def test_unreadable_files_are_named(tmp_path, content, match):
    path = tmp_path / 'bad.pth'
    path.write_bytes(content)
    for load in (load_local_checkpoint, CheckpointLoader.load_checkpoint,
                 read_checkpoint_meta):
        with pytest.raises(CheckpointReadError, match=match) as info:
            load(str(path))
        assert str(path) in str(info.value)


def test_a_truncated_checkpoint_is_named(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1000))), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointReadError, match='cut.pth'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


class Payload:
    """An arbitrary object that must never be unpickled."""


def test_missing_file_and_refused_payload(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_local_checkpoint(str(tmp_path / 'nowhere.pth'))
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(extra=Payload()), path)
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        load_local_checkpoint(path)


def test_meta_is_read_without_the_weights(tmp_path):
    path = str(tmp_path / 'c.pth')
    torch.save(dict(meta=dict(seed=7), state_dict=dict(w=torch.ones(3))), path)
    assert read_checkpoint_meta(path) == dict(seed=7)


def _write_forever(path: str, size: int) -> None:
    """Child process body: rewrite ``path`` with new content, forever."""
    try:
        version = 0
        while True:
            version = (version + 1) % 250
            atomic_write_bytes(bytes([version]) * size, path)
    finally:
        os._exit(0)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path):
    """A real process killed with SIGKILL at arbitrary points of 8 MB
    writes (forked, so it needs no fresh interpreter): the file is always
    one complete version."""
    path = str(tmp_path / 'ckpt.pth')
    size = 8 << 20
    atomic_write_bytes(bytes([255]) * size, path)
    for delay in (0.02, 0.07, 0.15):
        pid = os.fork()
        if pid == 0:
            _write_forever(path, size)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with open(path, 'rb') as f:
            data = f.read()
        assert len(data) == size
        assert data == bytes([data[0]]) * size
    leftovers = [n for n in os.listdir(tmp_path) if is_temporary_file(n)]
    assert len(leftovers) <= 3  # partial temporaries, never the file
