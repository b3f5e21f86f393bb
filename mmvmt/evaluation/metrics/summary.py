"""Text summaries of the multi-task results (pure, for the log)."""
from typing import Dict, Mapping, Sequence

from prettytable import PrettyTable

from ...tasks import get_task
from .delta_m import BaselineEntry

__all__ = ['results_table', 'summary_line']

#: Task -> its metric names, in display order.
TaskMetricNames = Mapping[str, Sequence[str]]


def results_table(metrics: Mapping[str, float], names: TaskMetricNames,
                  baseline: Mapping[str, BaselineEntry]) -> str:
    """A table of every metric, with the baseline and delta where given.

    Args:
        metrics: ``'<task>/<metric>'`` (and ``'multitask/delta_<task>'``)
            -> value.
        names: Task -> its metric names, in table order.
        baseline: Task -> :class:`BaselineEntry`.

    Returns:
        str: The rendered table.
    """
    table = PrettyTable(['Task', 'Metric', 'Value', 'Baseline', 'Delta'])
    for task, task_names in names.items():
        entry = baseline.get(task)
        for name in task_names:
            has_base = entry is not None and entry.metric == name
            table.add_row([
                task, name, f'{metrics[f"{task}/{name}"]:.2f}',
                f'{entry.value:.2f}' if has_base else '',
                f'{metrics[f"multitask/delta_{task}"]:+.2f}%'
                if has_base else ''
            ])
    return table.get_string()


def summary_line(metrics: Mapping[str, float], tasks: Sequence[str],
                 baseline: Dict[str, BaselineEntry]) -> str:
    """One line: each task's headline metric, then delta_m if computed.

    The headline metric is the baseline's metric, else the task's primary
    metric (:attr:`TaskSpec.metric`).

    Args:
        metrics: As for :func:`results_table`.
        tasks: Tasks, in order.
        baseline: Task -> :class:`BaselineEntry`.

    Returns:
        str: E.g. ``'a/mIoU: 50.00 | b/mean: 20.00 | delta_m: +1.00%'``.
    """
    parts = []
    for task in tasks:
        name = (
            baseline[task].metric
            if task in baseline else get_task(task).metric)
        parts.append(f'{task}/{name}: {metrics[f"{task}/{name}"]:.2f}')
    if 'multitask/delta_m' in metrics:
        parts.append(f'delta_m: {metrics["multitask/delta_m"]:+.2f}%')
    return ' | '.join(parts)
