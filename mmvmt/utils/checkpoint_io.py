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
:class:`CheckpointReadError` naming the file, instead of a bare
``EOFError``. Objects that the ``torch.load`` allow-list refuses
(:mod:`mmvmt.utils.checkpoint_compat`) are still refused.
"""
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner import CheckpointLoader

__all__ = [
    'ATOMIC_BACKEND', 'TMP_SUFFIX', 'CheckpointReadError',
    'AtomicLocalBackend', 'atomic_write_bytes', 'is_temporary_file',
    'load_local_checkpoint', 'named_os_error', 'read_checkpoint_meta'
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


#: Texts of ``UnpicklingError`` s that refuse an object (the allow-list of
#: ``torch.load`` and :mod:`mmvmt.utils.checkpoint_compat`), as opposed to
#: bytes that are no pickle at all.
_REFUSED = ('Unsupported global', 'asks for getattr')
_READ_ERRORS = (EOFError, RuntimeError, ValueError, zipfile.BadZipFile,
                pickle.UnpicklingError, UnicodeDecodeError)


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
        CheckpointReadError: If it is empty or not a torch checkpoint
            (truncated, garbage); the message names the file and its size.
        pickle.UnpicklingError: If it holds objects outside the allow-list
            (re-raised with the file name).
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
    except pickle.UnpicklingError as err:
        if any(text in str(err) for text in _REFUSED):
            raise pickle.UnpicklingError(
                f'checkpoint {filename} holds objects that are not allowed '
                f'to be unpickled: {err}') from err
        raise CheckpointReadError(_unreadable(filename, size, err)) from err
    except _READ_ERRORS as err:
        raise CheckpointReadError(_unreadable(filename, size, err)) from err


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
