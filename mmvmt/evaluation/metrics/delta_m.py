"""Multi-task performance delta (delta_m) against single-task baselines."""
import math
from typing import Dict, Mapping, NamedTuple, Union

__all__ = ['BaselineEntry', 'parse_baseline', 'compute_delta_m']


class BaselineEntry(NamedTuple):
    """A task's baseline: metric name, value and direction.

    Attributes:
        metric: Metric name without the task prefix (e.g. ``'mIoU'``).
        value: The single-task baseline value (same unit as the metric).
        higher_is_better: Direction of the metric.
    """

    metric: str
    value: float
    higher_is_better: bool


def parse_baseline(
        baseline: Mapping[str, Union[float, Mapping[str, float]]],
        default_metrics: Mapping[str, str],
        available: Mapping[str, Mapping[str, bool]]
) -> Dict[str, BaselineEntry]:
    """Validate a baseline config.

    Args:
        baseline: Task -> value of the task's primary metric, or
            ``dict(metric=name, value=v)`` for another metric of the task.
        default_metrics: Task -> primary metric name (``TaskSpec.metric``).
        available: Task -> {metric name: higher is better} of the tasks
            being evaluated.

    Returns:
        dict: Task -> :class:`BaselineEntry`, in the order of ``baseline``.

    Raises:
        ValueError: On a task that is not evaluated, an unknown metric, a
            malformed entry or a value that is not a positive finite number.
    """
    parsed = {}
    for task, entry in baseline.items():
        if task not in available:
            raise ValueError(f'baseline given for task {task!r}, which is '
                             f'not evaluated (tasks: {list(available)})')
        if isinstance(entry, Mapping):
            if set(entry) != {'metric', 'value'}:
                raise ValueError(
                    f'baseline[{task!r}] must be a number or '
                    f'dict(metric=..., value=...), got {dict(entry)}')
            metric, value = entry['metric'], entry['value']
        else:
            metric, value = default_metrics[task], entry
        if metric not in available[task]:
            raise ValueError(f'baseline[{task!r}]: unknown metric {metric!r};'
                             f' {task} reports {list(available[task])}')
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value <= 0:
            raise ValueError(f'baseline[{task!r}] must be a positive finite '
                             f'number, got {value!r}')
        parsed[task] = BaselineEntry(metric, float(value),
                                     available[task][metric])
    return parsed


def compute_delta_m(metrics: Mapping[str, float],
                    baseline: Mapping[str, BaselineEntry]) -> Dict[str, float]:
    """Relative change per task and their mean, in percent.

    ``delta_t = s_t (M_t - B_t) / B_t * 100`` with ``s_t = +1`` if higher is
    better and ``-1`` otherwise; ``delta_m = mean_t delta_t`` over the tasks
    with a baseline. Positive means better than the baselines.

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
        sign = 1.0 if entry.higher_is_better else -1.0
        out[f'multitask/delta_{task}'] = (
            sign * (value - entry.value) / entry.value * 100)
    if out:
        out['multitask/delta_m'] = sum(out.values()) / len(out)
    return out
