"""Turn T single-task runs' metrics.json into a delta_m baseline file.

Usage::

    python tools/analysis_tools/make_baseline.py \\
        work_dirs/st-semseg/metrics.json work_dirs/st-parts/metrics.json \\
        work_dirs/st-sal/metrics.json work_dirs/st-normals/metrics.json \\
        --out baseline.json [--metric normals=mean ...] \\
        [--configs CONFIG ...]

Each input is the ``metrics.json`` that ``tools/test.py CONFIG CKPT --out
DIR`` writes (``'<task>/<metric>' -> number``, format:
:mod:`mmvmt.fileio.metrics_file`) for a run of one task (e.g. the
``configs/single_task`` configs). For each task the baseline is the value of
its primary metric (``TaskSpec.metric`` of :mod:`mmvmt.tasks`) unless
``--metric TASK=NAME`` picks another one the task reports. The output is a
baseline file (:mod:`mmvmt.fileio.baseline_file`) with the source files
(absolute path, SHA-256) and, with ``--configs`` (one per input, same
order), the config names; use it as
``MultiTaskMetric(baseline='baseline.json')``.

Refused, with a message naming the file and key: an unreadable or non-JSON
file, a file whose keys are not ``'<task>/<metric>'`` numbers, a file
holding no task or several tasks, a task present in two files, a missing
metric key, and a value delta_m cannot divide by (not a positive finite
number, e.g. nan when no pixel was valid).
"""
import argparse
import hashlib
import math
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmvmt.fileio.baseline_file import write_baseline_file
from mmvmt.fileio.metrics_file import read_metrics_file
from mmvmt.tasks import TASKS, get_task

__all__ = ['parse_args', 'read_run_metrics', 'make_baseline', 'main']

#: Key prefix of the metric's multi-task entries (delta_m), not a task.
MULTITASK_PREFIX = 'multitask'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'metrics', nargs='+', help='metrics.json of each single-task run')
    parser.add_argument('--out', required=True, help='baseline file to write')
    parser.add_argument(
        '--metric',
        nargs='+',
        default=[],
        metavar='TASK=NAME',
        help='use this metric of a task instead of its primary one '
        '(e.g. normals=median)')
    parser.add_argument(
        '--configs',
        nargs='+',
        default=None,
        metavar='CONFIG',
        help='the config of each run, in the order of the metrics files '
        '(recorded as provenance)')
    return parser.parse_args(argv)


def _parse_overrides(items: Sequence[str]) -> Dict[str, str]:
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
    configs: Optional[Sequence[str]] = None
) -> Tuple[Dict[str, dict], Dict[str, dict]]:
    """The baseline entries and provenance of T single-task runs.

    Args:
        paths: One ``metrics.json`` per run, one run per task.
        metric_overrides: Task -> metric name used instead of the task's
            primary metric (``TaskSpec.metric``).
        configs: Optional config of each run, in the order of ``paths``.

    Returns:
        tuple: ``baseline`` (task -> ``{'metric', 'value'}``, in input
        order) and ``sources`` (task -> ``{'metrics_file', 'sha256'[,
        'config']}``), as :func:`write_baseline_file` takes them.

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
    baseline: Dict[str, dict] = {}
    sources: Dict[str, dict] = {}
    for i, path in enumerate(paths):
        task, metrics = read_run_metrics(path)
        if task in baseline:
            raise ValueError(
                f'task {task!r} is in two metrics files: '
                f'{sources[task]["metrics_file"]!r} and '
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
        baseline[task] = dict(metric=metric, value=value)
        sources[task] = dict(
            metrics_file=osp.abspath(path), sha256=_sha256(path))
        if configs is not None:
            sources[task]['config'] = configs[i]
    unused = [t for t in overrides if t not in baseline]
    if unused:
        raise ValueError(f'--metric names task(s) {unused} that no metrics '
                         f'file holds (tasks: {list(baseline)})')
    return baseline, sources


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Write the baseline file and print its entries.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.

    Returns:
        dict: The written ``baseline`` mapping.
    """
    args = parse_args(argv)
    baseline, sources = make_baseline(args.metrics,
                                      _parse_overrides(args.metric),
                                      args.configs)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    write_baseline_file(args.out, baseline, sources)
    rows: List[str] = [f'{"task":<14}{"metric":<10}{"value":>12}  source']
    for task, entry in baseline.items():
        rows.append(f'{task:<14}{entry["metric"]:<10}{entry["value"]:>12.4f}'
                    f'  {sources[task]["metrics_file"]}')
    print('\n'.join(rows))
    print(f'baseline file written: {args.out} (use '
          f"MultiTaskMetric(baseline='{args.out}'))")
    return baseline


if __name__ == '__main__':
    main()
