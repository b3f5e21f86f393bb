"""The manifest of a run: ``<work_dir>/manifest.json``.

One JSON object per run, rewritten atomically (temporary file, fsync,
rename) at every change of state, so a crash leaves the previous complete
version. Keys:

* ``format`` (``'mmvmt-benchmark-run'``), ``version`` (1);
* what the run is: ``key``, ``kind``, ``method``, ``task``, ``seed``,
  ``source`` (the repository config), ``config`` (the file the commands
  use), ``work_dir``, ``fingerprint`` (:func:`.plan.fingerprint`);
* how it went: ``launcher``, ``status`` (:data:`STATUSES`), ``owner``
  (host and pid of the invocation running it), ``command`` (the training
  command), ``steps`` (per step: ``command``, ``log``, ``rc``, ``started``,
  ``ended``, ``wall_s``, ``resumed``), ``attempt``;
* what it gave: ``metrics`` (``'<task>/<metric>' -> value``, from
  ``metrics_file``), ``checkpoint`` (the file the numbers came from),
  ``sec_per_iter``, ``iters``, ``backbone_trainable``, ``backbone_params``;
  a failed run has ``error`` (one line) and ``log`` (where to look).
"""
import json
import os
import os.path as osp
import socket
import time
from typing import Optional

from mmvmt.utils.checkpoint_io import atomic_write_bytes

__all__ = [
    'MANIFEST', 'FORMAT', 'STATUSES', 'manifest_path', 'read_manifest',
    'write_manifest', 'owner', 'owner_alive', 'now'
]

MANIFEST = 'manifest.json'
FORMAT = 'mmvmt-benchmark-run'
#: ``running``: started and not finished (or its invocation died);
#: ``finished``: metrics collected; ``failed``: a step failed.
STATUSES = ('running', 'finished', 'failed')


def manifest_path(work_dir: str) -> str:
    """``<work_dir>/manifest.json``."""
    return osp.join(work_dir, MANIFEST)


def read_manifest(work_dir: str) -> Optional[dict]:
    """The run's manifest, or None if it has none yet.

    Raises:
        ValueError: If the file is not a manifest of this format (the
            message names it).
    """
    path = manifest_path(work_dir)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f'run manifest {path!r} cannot be read: {err}; '
                         'move the run directory away to start it again')
    if not isinstance(data, dict) or data.get('format') != FORMAT or \
            data.get('status') not in STATUSES:
        raise ValueError(
            f'run manifest {path!r} is not a {FORMAT!r} manifest with a '
            f'status in {STATUSES}; move the run directory away to start '
            'it again')
    return data


def write_manifest(work_dir: str, data: dict) -> None:
    """Write the manifest atomically (creates ``work_dir``)."""
    os.makedirs(work_dir, exist_ok=True)
    data = dict(data, format=FORMAT, version=1)
    text = json.dumps(data, indent=2, default=str) + '\n'
    atomic_write_bytes(text.encode('utf-8'), manifest_path(work_dir))


def owner() -> dict:
    """This invocation: ``{'host', 'pid'}``."""
    return dict(host=socket.gethostname(), pid=os.getpid())


def owner_alive(manifest: dict) -> bool:
    """Whether another live process on this host runs the run now.

    A run owned by another host counts as alive (we cannot tell), one owned
    by this process or by a dead process as not.
    """
    own = manifest.get('owner') or {}
    if own.get('host') != socket.gethostname():
        return bool(own)
    pid = own.get('pid')
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def now() -> str:
    """Local time, ISO 8601 to the second."""
    return time.strftime('%Y-%m-%dT%H:%M:%S')
