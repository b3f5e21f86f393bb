"""The delta_m baseline of single-task runs (``make_baseline.py``'s core).

Each input is the ``metrics.json`` of a run of one task (format:
:mod:`mmvmt.fileio.metrics_file`; ``tools/test.py --out`` and the table
runner write it). For each task the baseline is the value of its primary
metric (``TaskSpec.metric`` of :mod:`mmvmt.tasks`) unless an override picks
another one the task reports; with ``mean=True`` a task may have several
runs (e.g. seeds) and the baseline is their mean. The result is what
:func:`mmvmt.fileio.baseline_file.write_baseline_file` writes.

Refused, with a message naming the file and key: an unreadable or non-JSON
file, a file whose keys are not ``'<task>/<metric>'`` numbers, a file
holding no task or several tasks, a task present in two files (unless
``mean``), a missing metric key, and a value delta_m cannot divide by (not
a positive finite number, e.g. nan when no pixel was valid).
"""
import hashlib
import math
import os.path as osp
import statistics
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmvmt.fileio.metrics_file import read_metrics_file
from mmvmt.tasks import TASKS, get_task

__all__ = [
    'MULTITASK_PREFIX', 'parse_overrides', 'read_run_metrics', 'make_baseline'
]

#: Key prefix of the metric's multi-task entries (delta_m), not a task.
MULTITASK_PREFIX = 'multitask'


def parse_overrides(items: Sequence[str]) -> Dict[str, str]:
    """``['normals=mean']`` -> ``{'normals': 'mean'}``, checked.

    Raises:
        ValueError: On a malformed item, a task given twice, an unknown
            task or a metric the task does not report.
    """
    overrides: Dict[str, str] = {}
    for item in items:
        task, sep, metric = item.partition('=')
        if not sep or not task or not metric:
            raise ValueError(f'--metric {item!r}: expected TASK=METRIC, '
                             'e.g. normals=median')
        if task in overrides:
            raise ValueError(f'--metric gives task {task!r} twice')
        reported = get_task(task).higher_is_better
        if metric not in reported:
            raise ValueError(f'--metric {item!r}: {task} reports '
                             f'{list(reported)}, not {metric!r}')
        overrides[task] = metric
    return overrides


def read_run_metrics(path: str) -> Tuple[str, Dict[str, float]]:
    """Read one run's ``metrics.json`` and find its task.

    Args:
        path: The file.

    Returns:
        tuple: The run's task and its metrics (``'<task>/<metric>'`` ->
        value; ``multitask/*`` entries dropped).

    Raises:
        OSError: If the file cannot be read (FileNotFoundError if absent).
        ValueError: If it is not a JSON object of numbers keyed
            ``'<task>/<metric>'``, or does not hold exactly one task.
    """
    data = read_metrics_file(path)
    metrics: Dict[str, float] = {}
    for key, value in data.items():
        prefix = key.split('/')[0]
        if prefix == MULTITASK_PREFIX:
            continue
        if key.count('/') != 1 or prefix not in TASKS:
            raise ValueError(f'metrics file {path!r}: key {key!r} is not '
                             f'"<task>/<metric>" with a task of '
                             f'{sorted(TASKS)}')
        metrics[key] = value
    tasks = sorted({key.split('/')[0] for key in metrics})
    if len(tasks) != 1:
        raise ValueError(
            f'metrics file {path!r} holds the metrics of {tasks or "no"} '
            'task(s); a baseline takes one single-task run per task')
    return tasks[0], metrics


def _sha256(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_baseline(
        paths: Sequence[str],
        metric_overrides: Optional[Mapping[str, str]] = None,
        configs: Optional[Sequence[str]] = None,
        mean: bool = False) -> Tuple[Dict[str, dict], Dict[str, dict]]:
    """The baseline entries and provenance of single-task runs.

    Args:
        paths: One ``metrics.json`` per run, one run per task (``mean``:
            one or more runs per task).
        metric_overrides: Task -> metric name used instead of the task's
            primary metric (``TaskSpec.metric``).
        configs: Optional config of each run, in the order of ``paths``.
        mean: Average the runs of a task (e.g. its seeds).

    Returns:
        tuple: ``baseline`` (task -> ``{'metric', 'value'}``, in input
        order) and ``sources`` (task -> ``{'metrics_file', 'sha256'[,
        'config']}``; with ``mean`` each of these is a list, one entry per
        run, plus the runs' ``values``), as :func:`write_baseline_file`
        takes them.

    Raises:
        OSError: If a file cannot be read.
        KeyError: If a file lacks the task's metric key.
        ValueError: On the other refusals of the module docstring.
            Every message names the file and the key or task.
    """
    overrides = dict(metric_overrides or {})
    if configs is not None and len(configs) != len(paths):
        raise ValueError(f'--configs gives {len(configs)} config(s) for '
                         f'{len(paths)} metrics file(s); give one per file')
    runs: Dict[str, list] = {}
    for i, path in enumerate(paths):
        task, metrics = read_run_metrics(path)
        if task in runs and not mean:
            raise ValueError(
                f'task {task!r} is in two metrics files: '
                f'{runs[task][0]["source"]["metrics_file"]!r} and '
                f'{osp.abspath(path)!r}; give one single-task run per task')
        metric = overrides.get(task, get_task(task).metric)
        key = f'{task}/{metric}'
        if key not in metrics:
            raise KeyError(f'metrics file {path!r} has no {key!r} (it has '
                           f'{sorted(metrics)})')
        value = metrics[key]
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f'metrics file {path!r}: {key!r} = {value!r} '
                             'cannot be a delta_m baseline (it must be a '
                             'positive finite number)')
        source = dict(metrics_file=osp.abspath(path), sha256=_sha256(path))
        if configs is not None:
            source['config'] = configs[i]
        runs.setdefault(task, []).append(
            dict(metric=metric, value=value, source=source))
    unused = [t for t in overrides if t not in runs]
    if unused:
        raise ValueError(f'--metric names task(s) {unused} that no metrics '
                         f'file holds (tasks: {list(runs)})')
    baseline: Dict[str, dict] = {}
    sources: Dict[str, dict] = {}
    for task, entries in runs.items():
        values = [e['value'] for e in entries]
        baseline[task] = dict(
            metric=entries[0]['metric'], value=statistics.fmean(values))
        if mean:
            sources[task] = {
                k: [e['source'][k] for e in entries]
                for k in entries[0]['source']
            }
            sources[task]['values'] = values
        else:
            sources[task] = entries[0]['source']
    return baseline, sources
