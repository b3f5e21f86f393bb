"""Multi-task performance delta (delta_m) against single-task baselines.

Which metric a plain baseline number refers to (:attr:`TaskSpec.metric`)
and the direction of every metric (:attr:`TaskSpec.higher_is_better`) come
from the task table only (``docs/design.md`` section 2). A baseline is
given as a dict or as the path of a baseline file
(:mod:`mmvmt.fileio.baseline_file` defines the format).
"""
import math
import os
from typing import Dict, Mapping, NamedTuple, Optional, Union

from ...fileio.baseline_file import read_baseline_file
from ...tasks import get_task

__all__ = [
    'BaselineEntry', 'BaselineSpec', 'parse_baseline', 'load_baseline',
    'compute_delta_m'
]

#: A baseline config entry: the value of the task's primary metric, or
#: ``dict(metric=name, value=v)`` for another metric of the task.
BaselineValue = Union[float, Mapping[str, Union[str, float]]]

#: What ``MultiTaskMetric(baseline=...)`` takes: task -> entry, or the path
#: of a baseline file.
BaselineSpec = Union[Mapping[str, BaselineValue], str, 'os.PathLike[str]']


class BaselineEntry(NamedTuple):
    """A task's single-task baseline.

    Attributes:
        metric: Metric name without the task prefix (e.g. ``'mIoU'``).
        value: The baseline value (same unit as the metric).
    """

    metric: str
    value: float


def _check_value(task: str, value: object) -> float:
    """A positive finite number (not a bool), as float.

    Raises:
        ValueError: Otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f'baseline[{task!r}] must be a positive finite '
                         f'number, got {value!r}')
    return float(value)


def parse_baseline(
        baseline: Mapping[str, BaselineValue]) -> Dict[str, BaselineEntry]:
    """Validate a baseline config against the task table.

    Whether the tasks are evaluated is the caller's check
    (``MultiTaskMetric`` may learn its tasks from the dataset later).

    Args:
        baseline: Task -> value of the task's primary metric
            (:attr:`TaskSpec.metric`), or ``dict(metric=name, value=v)`` for
            another metric the task reports.

    Returns:
        dict: Task -> :class:`BaselineEntry`, in the order of ``baseline``.

    Raises:
        KeyError: On an unknown task.
        ValueError: On a metric the task does not report, a malformed entry
            or a value that is not a positive finite number.
    """
    parsed = {}
    for task, entry in baseline.items():
        spec = get_task(task)
        if isinstance(entry, Mapping):
            if set(entry) != {'metric', 'value'}:
                raise ValueError(
                    f'baseline[{task!r}] must be a number or '
                    f'dict(metric=..., value=...), got {dict(entry)}')
            metric, value = entry['metric'], entry['value']
        else:
            metric, value = spec.metric, entry
        if metric not in spec.higher_is_better:
            raise ValueError(f'baseline[{task!r}]: unknown metric {metric!r};'
                             f' {task} reports {list(spec.higher_is_better)}')
        parsed[task] = BaselineEntry(metric, _check_value(task, value))
    return parsed


def load_baseline(
        baseline: Optional[BaselineSpec]) -> Dict[str, BaselineEntry]:
    """Parse a baseline given as a dict, a baseline file path or None.

    Args:
        baseline: Task -> entry (as :func:`parse_baseline`), the path of a
            baseline file written by ``tools/analysis_tools/
            make_baseline.py`` (:mod:`mmvmt.fileio.baseline_file`), or
            None (no baseline).

    Returns:
        dict: Task -> :class:`BaselineEntry`; a file gives exactly what
        its ``baseline`` mapping given as a dict gives.

    Raises:
        FileNotFoundError, OSError: If the file cannot be read.
        KeyError, ValueError: As :func:`parse_baseline`, or on a malformed
            file; for a file the message names it.
        TypeError: If ``baseline`` is none of the above.
    """
    if baseline is None:
        return {}
    if isinstance(baseline, Mapping):
        return parse_baseline(baseline)
    if not isinstance(baseline, (str, os.PathLike)):
        raise TypeError('baseline must be a dict task -> value, the path of '
                        'a baseline file or None, got '
                        f'{type(baseline).__name__}')
    entries = read_baseline_file(baseline)
    try:
        return parse_baseline(entries)
    except KeyError as err:
        raise KeyError(f'baseline file {os.fspath(baseline)!r}: '
                       f'{err.args[0] if err.args else err}') from err
    except ValueError as err:
        raise ValueError(
            f'baseline file {os.fspath(baseline)!r}: {err}') from err


def compute_delta_m(metrics: Mapping[str, float],
                    baseline: Mapping[str, BaselineEntry]) -> Dict[str, float]:
    """Relative change per task and their mean, in percent.

    ``delta_t = s_t (M_t - B_t) / B_t * 100`` with ``s_t = +1`` if the
    table says higher is better for the baseline's metric and ``-1``
    otherwise; ``delta_m = mean_t delta_t`` over the tasks with a baseline.
    Positive means better than the baselines.

    Args:
        metrics: Computed metrics keyed ``'<task>/<metric>'``.
        baseline: Output of :func:`parse_baseline`.

    Returns:
        dict: ``'multitask/delta_<task>'`` per task and
        ``'multitask/delta_m'`` (empty if ``baseline`` is empty).
    """
    out = {}
    for task, entry in baseline.items():
        value = metrics[f'{task}/{entry.metric}']
        higher = get_task(task).higher_is_better[entry.metric]
        sign = 1.0 if higher else -1.0
        out[f'multitask/delta_{task}'] = (
            sign * (value - entry.value) / entry.value * 100)
    if out:
        out['multitask/delta_m'] = sum(out.values()) / len(out)
    return out
