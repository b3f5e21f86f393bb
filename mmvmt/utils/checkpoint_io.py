"""Checkpoint files: atomic writes, reads that name the file that failed.

Writing (:class:`AtomicLocalBackend`, registered as the file backend
``'local_atomic'``): the bytes go to a temporary file in the destination
folder, which is flushed, ``fsync``-ed and then renamed over the
destination, so a reader (or ``--resume`` after a crash) sees either the
previous complete file or the new complete file, never a partial one. An
``OSError`` (a full disk) names the file being written.

Reading (:func:`load_local_checkpoint`, mmengine's loader for local paths,
registered in :class:`~mmengine.runner.CheckpointLoader` for the empty
prefix): a missing, empty or unreadable file raises
:class:`CheckpointReadError` naming the file and its size, whatever the
reader failed with (torch raises ``KeyError``, ``RuntimeError``,
``UnpicklingError`` ... depending on the garbage), instead of a bare
``KeyError: 101``. Objects that the ``torch.load`` allow-list refuses
(:mod:`mmvmt.utils.checkpoint_compat`) are still refused, and said to be.

Resuming (:func:`find_resume_checkpoint`): ``last_checkpoint`` when it
names a readable checkpoint, else the newest complete checkpoint of the
work dir, so a run killed before its first ``last_checkpoint`` write (or
with that file pointing at a lost one) loses no saved progress.
"""
import os
import os.path as osp
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any, NamedTuple, Optional, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner import CheckpointLoader

__all__ = [
    'ATOMIC_BACKEND', 'TMP_SUFFIX', 'CheckpointReadError',
    'AtomicLocalBackend', 'ResumePoint', 'atomic_write_bytes',
    'find_resume_checkpoint', 'is_temporary_file', 'load_local_checkpoint',
    'named_os_error', 'read_checkpoint_meta'
]

#: Name of :class:`AtomicLocalBackend` in mmengine's file backends.
ATOMIC_BACKEND = 'local_atomic'
#: Suffix of the temporary files of :func:`atomic_write_bytes`.
TMP_SUFFIX = '.tmp'


class CheckpointReadError(RuntimeError):
    """A checkpoint file is missing, empty or not a torch checkpoint."""


def named_os_error(err: OSError, path: str, action: str) -> OSError:
    """The same ``OSError`` (same errno and class) naming ``path``.

    Args:
        err: The original error.
        path: The file being written or read.
        action: What was done, e.g. ``'writing the checkpoint'``.

    Returns:
        OSError: An error of the same class whose message reads
        ``[Errno N] <strerror> while <action>: '<path>'`` (for a
        message-only error: the message, plus the path if it lacks it).
    """
    if err.errno is None:  # a message-only OSError (e.g. cv2.imwrite)
        text = str(err)
        if path not in text:
            text += f' (while {action}: {path})'
        return type(err)(text)
    return type(err)(err.errno, f'{err.strerror} while {action}', path)


def is_temporary_file(name: str) -> bool:
    """Whether ``name`` is a leftover temporary file of an atomic write."""
    base = osp.basename(name)
    return base.startswith('.') and TMP_SUFFIX in base


def atomic_write_bytes(data: bytes, path: Union[str, Path]) -> None:
    """Write ``data`` to ``path`` atomically.

    The data go to ``.<name>.tmp<random>`` in the same folder (same file
    system, so the rename is atomic), are flushed and ``fsync``-ed, and the
    file is renamed to ``path``; the folder is ``fsync``-ed last, so the
    rename itself survives a power cut. On any error the temporary file is
    removed and ``path`` is left as it was.

    Args:
        data: The bytes to write.
        path: Destination file; its folder is created if needed.

    Raises:
        OSError: If writing fails (e.g. no space left on device); the
            message names ``path``.
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(path)}', suffix=TMP_SUFFIX, dir=folder)
    except OSError as err:
        raise named_os_error(err, path, 'writing') from err
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if osp.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError):
            raise named_os_error(err, path, 'writing') from err
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Persist a rename in ``folder`` (no-op where folders cannot be
    opened, e.g. on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic :meth:`put`.

    Give ``backend_args=dict(backend='local_atomic')`` to a
    ``CheckpointHook`` (``SafeCheckpointHook`` does by default) and every
    checkpoint it saves, best checkpoints included, is written with
    :func:`atomic_write_bytes`.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically."""
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write_bytes(obj.encode(encoding), filepath)


#: How an ``UnpicklingError`` says that the allow-list refused an object
#: (torch's weights-only unpickler: "Unsupported global: GLOBAL x.y",
#: "Trying to load unsupported GLOBAL posix.system", older torch
#: "Unsupported class x.y"; :mod:`mmvmt.utils.checkpoint_compat`: "asks for
#: getattr"), as opposed to bytes that are no pickle at all ("Unsupported
#: operand"). Group 1: the refused global, where torch names it.
_REFUSED = re.compile(
    r'unsupported\s+(?:global|class)\W*(?:global\s+)?([\w.]+)?'
    r'|asks for getattr', re.IGNORECASE)


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """mmengine's local checkpoint loader, with errors naming the file.

    Args:
        filename: Local path (``~`` is expanded).
        map_location: As for :func:`torch.load`.

    Returns:
        The loaded object.

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointReadError: If it is empty or cannot be read for any
            other reason (truncated, garbage, unreadable); the message
            names the file and its size.
        pickle.UnpicklingError: If it holds objects that the weights-only
            loader refuses; the message names the file, its size and the
            refused global where torch names it.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    size = osp.getsize(filename)
    if size == 0:
        raise CheckpointReadError(
            f'checkpoint {filename} is empty (0 bytes): an interrupted '
            'write or a failed copy. Use another checkpoint.')
    try:
        return torch.load(filename, map_location=map_location)
    except Exception as err:  # every reader failure, named with the file
        refused = (
            _REFUSED.search(str(err))
            if isinstance(err, pickle.UnpicklingError) else None)
        if refused is None:
            raise CheckpointReadError(_unreadable(filename, size,
                                                  err)) from err
        what = (f'the global {refused.group(1)}'
                if refused.group(1) else 'an object')
        raise pickle.UnpicklingError(
            f'checkpoint {filename} ({size} bytes) is refused by the '
            f'weights-only loader of torch.load: it asks for {what}, '
            'which is not on the allow-list, and nothing was executed. '
            'Load only checkpoints you trust; one written by mmengine '
            f'0.10.7 loads as it is. {type(err).__name__}: {err}') from err


def _unreadable(filename: str, size: int, err: BaseException) -> str:
    return (f'checkpoint {filename} ({size} bytes) cannot be read '
            '(truncated, or not a torch checkpoint): '
            f'{type(err).__name__}: {err}')


def read_checkpoint_meta(filename: str) -> dict:
    """``checkpoint['meta']`` of a local checkpoint, tensors left on disk.

    The file is memory-mapped (``torch.load(mmap=True)``), so only the
    pickled structure is read, not the weights.

    Args:
        filename: Local checkpoint path.

    Returns:
        dict: The meta (empty if the checkpoint has none).

    Raises:
        FileNotFoundError, CheckpointReadError: As
            :func:`load_local_checkpoint`.
    """
    filename = osp.expanduser(filename)
    try:
        checkpoint = torch.load(filename, map_location='cpu', mmap=True)
    except Exception:  # older formats cannot be mapped; errors named here
        checkpoint = load_local_checkpoint(filename, map_location='cpu')
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return dict(meta or {})


class ResumePoint(NamedTuple):
    """Where ``--resume`` continues from (see :func:`find_resume_checkpoint`).

    Attributes:
        path: The checkpoint; None if the work dir holds no complete one.
        note: Why it is not ``last_checkpoint``'s (empty when it is), for
            the log.
        meta: The checkpoint's ``meta`` (seed, iteration ...).
    """
    path: Optional[str]
    note: str
    meta: dict


def _resumable_meta(path: str) -> dict:
    """``meta`` of a complete runner checkpoint.

    Raises:
        Exception: If the file cannot be read (as
            :func:`read_checkpoint_meta`), or ValueError if it is no
            runner checkpoint (no ``meta`` with ``iter`` or ``epoch``).
    """
    meta = read_checkpoint_meta(path)
    if 'iter' not in meta and 'epoch' not in meta:
        raise ValueError('not a runner checkpoint (its meta has no iter or '
                         'epoch)')
    return meta


def find_resume_checkpoint(work_dir: str) -> ResumePoint:
    """The checkpoint ``--resume`` continues from.

    mmengine resumes from the file named in ``<work_dir>/last_checkpoint``
    and starts from scratch when that file is missing. Here the file named
    there is used when it can be read (whether it fits the model is checked
    when it is loaded); otherwise
    (``last_checkpoint`` missing, e.g. a kill before the first one was
    written, or naming a missing or unreadable file) the newest complete
    runner checkpoint of ``work_dir`` (latest modification time, then
    highest iteration) is, and the note says which and why. A remote path
    (``s3://...``) in ``last_checkpoint`` is taken as it is.

    Args:
        work_dir: The run's work dir.

    Returns:
        ResumePoint: The checkpoint (None if there is no complete one) and
        the note for the log.
    """
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            target = f.read().strip()
        if '://' in target:  # a remote out_dir: mmengine's loaders read it
            return ResumePoint(target, '', {})
        try:  # readable is enough: mmengine's resume checks the rest
            return ResumePoint(target, '', read_checkpoint_meta(target))
        except Exception as err:
            problem = (f'{last} names {target!r}, which cannot be read '
                       f'({type(err).__name__}: {err})')
    else:
        problem = f'{work_dir} has no last_checkpoint'
    found, skipped = [], []
    names = sorted(os.listdir(work_dir)) if osp.isdir(work_dir) else []
    for name in names:
        path = osp.join(work_dir, name)
        if not name.endswith('.pth') or is_temporary_file(name) or \
                not osp.isfile(path):
            continue
        try:
            meta = _resumable_meta(path)
        except Exception as err:
            skipped.append(f'{name} ({type(err).__name__}: {err})')
            continue
        step = meta.get('iter', meta.get('epoch', 0))
        found.append((os.stat(path).st_mtime_ns, step, path, meta))
    skipped_note = ('; skipped: ' + '; '.join(skipped)) if skipped else ''
    if not found:
        return ResumePoint(
            None, f'{problem} and no complete checkpoint: training starts '
            f'from the beginning{skipped_note}', {})
    _, step, path, meta = max(found, key=lambda f: f[:2])
    return ResumePoint(
        path, f'{problem}: resuming from the newest complete checkpoint '
        f'{path} (iteration {meta.get("iter")}, epoch {meta.get("epoch")}, '
        f'seed {meta.get("seed")}){skipped_note}', meta)
