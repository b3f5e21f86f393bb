"""Atomic writes, and checkpoint reads whose errors name the file."""
import errno
import io
import os
import pickle
import signal
import time
import zipfile

import numpy as np
import pytest
import torch
from mmengine.runner import CheckpointLoader

from mmvmt.utils import checkpoint_io
from mmvmt.utils.checkpoint_io import (AtomicLocalBackend, CheckpointReadError,
                                       atomic_write_bytes,
                                       find_resume_checkpoint,
                                       is_temporary_file,
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


def _garbage() -> dict:
    """Every kind of file that is no torch checkpoint (issue 17)."""
    buff = io.BytesIO()
    np.save(buff, np.zeros(3))
    npy = buff.getvalue()
    buff = io.BytesIO()
    with zipfile.ZipFile(buff, 'w') as z:
        z.writestr('x.txt', 'hi')
    other_zip = buff.getvalue()
    buff = io.BytesIO()
    torch.save(
        dict(w=torch.zeros(100)), buff, _use_new_zipfile_serialization=False)
    legacy = buff.getvalue()
    return {
        'text': b'hello this is not a checkpoint',  # KeyError: 101
        'random': bytes(range(256)) * 4,
        'json': b'{"state_dict": {}}',
        'npy': npy,
        'zip': other_zip,
        'legacy truncated': legacy[:len(legacy) // 2],
        'plain pickle': pickle.dumps(dict(a=1)),
    }


@pytest.mark.parametrize('kind', list(_garbage()))
def test_every_kind_of_garbage_names_the_file_and_its_size(tmp_path, kind):
    content = _garbage()[kind]
    path = tmp_path / 'garbage.pth'
    path.write_bytes(content)
    for load in (load_local_checkpoint, CheckpointLoader.load_checkpoint,
                 read_checkpoint_meta):
        with pytest.raises(CheckpointReadError) as info:
            load(str(path))
        assert f'checkpoint {path} ({len(content)} bytes) cannot be read' in \
            str(info.value)


class _Exploit:
    """Unpickling it would run a shell command."""

    def __reduce__(self):
        return os.system, ('echo unpickled', )


def test_a_malicious_pickle_is_said_to_be_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, extra=_Exploit()), path)
    refused = f'{os.system.__module__}.system'  # posix.system on Linux
    with pytest.raises(pickle.UnpicklingError) as info:
        load_local_checkpoint(str(path))
    msg = str(info.value)
    assert f'checkpoint {path} ({path.stat().st_size} bytes) is refused by ' \
        'the weights-only loader' in msg
    assert f'it asks for the global {refused},' in msg
    assert 'truncated' not in msg


def _runner_ckpt(path, it: int, seed: int = 7, mtime: float = None) -> str:
    torch.save(
        dict(meta=dict(iter=it, epoch=0, seed=seed), state_dict={}), path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(path)


def test_resume_takes_last_checkpoint_when_it_is_readable(tmp_path):
    first = _runner_ckpt(tmp_path / 'iter_2.pth', 2, mtime=1000)
    _runner_ckpt(tmp_path / 'iter_4.pth', 4, mtime=2000)
    (tmp_path / 'last_checkpoint').write_text(first)
    point = find_resume_checkpoint(str(tmp_path))
    assert (point.path, point.note, point.meta['iter']) == (first, '', 2)
    # Readable is enough (the runner's load checks whether it fits).
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={}), other)
    (tmp_path / 'last_checkpoint').write_text(other)
    assert find_resume_checkpoint(str(tmp_path)) == (other, '', {})


def test_resume_falls_back_to_the_newest_complete_checkpoint(tmp_path):
    """No last_checkpoint (killed before the first was written), or one
    naming a lost or broken file: the newest complete checkpoint wins, by
    modification time; unreadable files and non-runner .pth are skipped."""
    work = str(tmp_path)
    _runner_ckpt(tmp_path / 'iter_9.pth', 9, seed=1, mtime=1000)  # older
    newest = _runner_ckpt(tmp_path / 'iter_2.pth', 2, seed=42, mtime=3000)
    (tmp_path / 'iter_4.pth').write_bytes(b'partial')  # newer, broken
    os.utime(tmp_path / 'iter_4.pth', (4000, 4000))
    torch.save(dict(w=torch.ones(1)), tmp_path / 'weights.pth')  # no meta
    (tmp_path / '.iter_6.pthx1.tmp').write_bytes(b'tmp')
    point = find_resume_checkpoint(work)
    assert point.path == newest and point.meta['seed'] == 42
    assert point.note.startswith(f'{work} has no last_checkpoint: resuming '
                                 f'from the newest complete checkpoint '
                                 f'{newest} (iteration 2, epoch 0, seed 42)')
    assert 'iter_4.pth (CheckpointReadError' in point.note
    assert 'weights.pth (ValueError: not a runner checkpoint' in point.note
    for target in (str(tmp_path / 'iter_4.pth'), str(tmp_path / 'gone.pth')):
        (tmp_path / 'last_checkpoint').write_text(target)
        point = find_resume_checkpoint(work)
        assert point.path == newest
        assert f"names '{target}', which cannot be read" in point.note


def test_resume_without_any_complete_checkpoint(tmp_path):
    (tmp_path / 'iter_2.pth').write_bytes(b'')
    point = find_resume_checkpoint(str(tmp_path))
    assert point.path is None and point.meta == {}
    assert 'no complete checkpoint: training starts from the beginning' in \
        point.note
    assert 'iter_2.pth (CheckpointReadError' in point.note
    assert find_resume_checkpoint(str(tmp_path / 'new')).path is None
