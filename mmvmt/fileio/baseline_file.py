"""The single-task baseline file: the delta_m reference of a set of runs.

``tools/analysis_tools/make_baseline.py`` writes it from the
``metrics.json`` of T single-task runs; ``MultiTaskMetric(baseline=PATH)``
reads it. The one definition of the format (JSON, UTF-8)::

    {
      "format": "mmvmt-baseline",
      "version": 1,
      "baseline": {
        "semseg": {"metric": "mIoU", "value": 67.21},
        "normals": {"metric": "mean", "value": 17.97}
      },
      "sources": {
        "semseg": {"metrics_file": "/abs/st-semseg/metrics.json",
                   "sha256": "<hex digest of that file>",
                   "config": "fullft-st-semseg_...py"}
      }
    }

* ``format`` and ``version``: required, exactly as above.
* ``baseline``: required, task -> ``{"metric": name, "value": number}``,
  ``name`` without the task prefix (the key in ``metrics.json`` is
  ``<task>/<name>``). Which tasks and metrics exist is the task table's
  business (:mod:`mmvmt.tasks`), checked by the metric that reads the file.
* ``sources``: optional provenance, task -> free-form object
  (``metrics_file`` and ``sha256`` always, ``config`` when known). It is
  not read back by the metric.

The ``baseline`` mapping is what ``MultiTaskMetric(baseline=dict(...))``
accepts too, so a file and its ``baseline`` as a dict give the same results.
"""
import json
import math
import os
from typing import Dict, Mapping, Optional, Union

__all__ = [
    'BASELINE_FORMAT', 'BASELINE_VERSION', 'read_baseline_file',
    'write_baseline_file'
]

#: The ``format`` value of a baseline file.
BASELINE_FORMAT = 'mmvmt-baseline'
#: The ``version`` this code reads and writes.
BASELINE_VERSION = 1

PathLike = Union[str, 'os.PathLike[str]']
#: A baseline entry as stored: ``{'metric': name, 'value': number}``.
Entry = Dict[str, Union[str, float]]


def _entry(path: PathLike, task: str, entry: object) -> Entry:
    """Check one stored entry.

    Raises:
        ValueError: Unless it is ``{"metric": str, "value": finite number}``.
    """
    where = f'baseline file {os.fspath(path)!r}: baseline[{task!r}]'
    if not isinstance(entry, Mapping) or set(entry) != {'metric', 'value'}:
        raise ValueError(f'{where} must be {{"metric": name, "value": '
                         f'number}}, got {entry!r}')
    metric, value = entry['metric'], entry['value']
    if not isinstance(metric, str) or not metric:
        raise ValueError(f'{where}["metric"] must be a metric name, got '
                         f'{metric!r}')
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise ValueError(f'{where}["value"] must be a finite number, got '
                         f'{value!r}')
    return dict(metric=metric, value=float(value))


def read_baseline_file(path: PathLike) -> Dict[str, Entry]:
    """Read the ``baseline`` mapping of a baseline file.

    Args:
        path: The file (see the module docstring for the format).

    Returns:
        dict: Task -> ``{'metric': name, 'value': float}``, in file order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        OSError: If it cannot be read (the message names the file).
        ValueError: If it is not JSON, not this format or version, or an
            entry is malformed (the message names the file and key).
    """
    name = os.fspath(path)
    try:
        with open(name, encoding='utf-8') as f:
            text = f.read()
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f'baseline file {name!r} does not exist') from err
    except (OSError, UnicodeDecodeError) as err:
        raise OSError(f'cannot read baseline file {name!r}: {err}') from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ValueError(
            f'baseline file {name!r} is not valid JSON: {err}') from err
    if not isinstance(data, Mapping):
        raise ValueError(f'baseline file {name!r} must hold a JSON object, '
                         f'got {type(data).__name__}')
    found = (data.get('format'), data.get('version'))
    if found != (BASELINE_FORMAT, BASELINE_VERSION):
        raise ValueError(
            f'baseline file {name!r} must have "format": '
            f'{BASELINE_FORMAT!r} and "version": {BASELINE_VERSION}, got '
            f'{found[0]!r} and {found[1]!r} (write it with '
            'tools/analysis_tools/make_baseline.py)')
    baseline = data.get('baseline')
    if not isinstance(baseline, Mapping) or not baseline:
        raise ValueError(f'baseline file {name!r}: "baseline" must be a '
                         f'non-empty object task -> {{"metric", "value"}}, '
                         f'got {baseline!r}')
    return {
        task: _entry(path, task, entry)
        for task, entry in baseline.items()
    }


def write_baseline_file(
        path: PathLike,
        baseline: Mapping[str, Mapping[str, object]],
        sources: Optional[Mapping[str, Mapping]] = None) -> None:
    """Write a baseline file (see the module docstring).

    Args:
        path: Output file; its directory must exist.
        baseline: Task -> ``{'metric': name, 'value': number}``.
        sources: Optional task -> provenance object (JSON-serialisable).

    Raises:
        ValueError: On a malformed entry (nothing is written).
        OSError: If the file cannot be written (the message names it).
    """
    entries = {
        task: _entry(path, task, entry)
        for task, entry in baseline.items()
    }
    data = dict(
        format=BASELINE_FORMAT,
        version=BASELINE_VERSION,
        baseline=entries,
        sources={
            k: dict(v)
            for k, v in (sources or {}).items()
        })
    name = os.fspath(path)
    try:
        with open(name, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=2)
            f.write('\n')
    except OSError as err:
        raise OSError(f'cannot write baseline file {name!r}: {err}') from err
