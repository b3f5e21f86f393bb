"""The benchmark's numbers: single-task baseline, delta_m, the table.

Pure functions of the run records (no training), so the arithmetic is
tested on hand-made numbers. A run record is a dict with ``method``,
``task`` (None for a multi-task run), ``seed``, ``metrics``
(``'<task>/<metric>' -> value``), ``sec_per_iter``, ``backbone_trainable``
and ``backbone_params`` (the pretrained Swin's size), and ``error`` (None
if the run succeeded).

* Baseline: per task, the mean over seeds of the single-task run's primary
  metric (:attr:`mmvmt.tasks.TaskSpec.metric`).
* delta_m: per (method, seed), the project's
  :func:`mmvmt.evaluation.compute_delta_m` of the run's metrics against
  that baseline (directions from the task table); the single-task row
  combines its T runs of the seed.
* Spread: the sample standard deviation over seeds (n - 1); none for one
  seed.
* Seconds per iteration: the run's median; the single-task row sums its T
  runs (T models are trained).
* Trainable backbone parameters: the sum over the row's runs (T models for
  the single-task row); percent of the pretrained Swin's parameters.
"""
import statistics
from typing import Dict, List, Mapping, Optional, Sequence

from mmvmt.evaluation.metrics import compute_delta_m, parse_baseline
from mmvmt.tasks import get_task
from .methods import SINGLE_TASK, Method

__all__ = [
    'metric_key', 'stats', 'single_task_baseline', 'summarize', 'format_table',
    'table_notes'
]


def metric_key(task: str) -> str:
    """``'<task>/<primary metric>'`` of the task table."""
    return f'{task}/{get_task(task).metric}'


def stats(values: Sequence[float]) -> dict:
    """``mean``, ``spread`` (sample std; None for one value), ``values``."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError('stats of no values')
    spread = statistics.stdev(values) if len(values) > 1 else None
    return dict(mean=statistics.fmean(values), spread=spread, values=values)


def _index(runs: Sequence[Mapping]) -> Dict[tuple, Mapping]:
    return {
        (r['method'], r['task'], r['seed']): r
        for r in runs if r.get('error') is None
    }


def single_task_baseline(runs: Sequence[Mapping], tasks: Sequence[str],
                         seeds: Sequence[int]) -> Dict[str, dict]:
    """Task -> ``{'metric', 'value'}``: the seed-mean single-task metric.

    Raises:
        ValueError: If a single-task run is missing or failed, or a mean
            cannot be a baseline (not a positive finite number).
    """
    index = _index(runs)
    baseline = {}
    for task in tasks:
        missing = [s for s in seeds if (SINGLE_TASK, task, s) not in index]
        if missing:
            raise ValueError(f'single-task baseline: no successful {task} '
                             f'run for seed(s) {missing}')
        key = metric_key(task)
        value = stats([
            index[(SINGLE_TASK, task, s)]['metrics'][key] for s in seeds
        ])['mean']
        baseline[task] = dict(metric=get_task(task).metric, value=value)
    try:
        parse_baseline(baseline)
    except ValueError as err:
        raise ValueError(f'single-task baseline {baseline}: {err} (delta_m '
                         'divides by it; train longer)') from err
    return baseline


def _row(method: Method, index: Mapping, tasks: Sequence[str],
         seeds: Sequence[int], parsed: Mapping) -> Optional[dict]:
    per_seed = []
    for seed in seeds:
        runs = [
            index.get((method.name, task, seed)) for task, _ in method.configs
        ]
        if any(r is None for r in runs):
            return None
        metrics: Dict[str, float] = {}
        for run in runs:
            metrics.update(run['metrics'])
        per_seed.append((metrics, runs))
    first = per_seed[0][1]
    trainable = sum(int(r['backbone_trainable']) for r in first)
    swin = int(first[0]['backbone_params'])
    deltas = [compute_delta_m(m, parsed) for m, _ in per_seed]
    return dict(
        method=method.name,
        label=method.label,
        runs=len(method.configs),
        backbone_trainable=trainable,
        backbone_params=swin,
        backbone_percent=100.0 * trainable / swin,
        metrics={
            task: stats([m[metric_key(task)] for m, _ in per_seed])
            for task in tasks
        },
        deltas={
            task: stats([d[f'multitask/delta_{task}'] for d in deltas])
            for task in tasks
        },
        delta_m=stats([d['multitask/delta_m'] for d in deltas]),
        sec_per_iter=stats([
            sum(float(r['sec_per_iter']) for r in runs) for _, runs in per_seed
        ]))


def summarize(runs: Sequence[Mapping], methods: Mapping[str, Method],
              tasks: Sequence[str], seeds: Sequence[int]) -> dict:
    """The table's numbers.

    Args:
        runs: Run records (see the module docstring); failed ones are
            ignored.
        methods: Name -> :class:`Method`, in table order; must include the
            single-task baseline.
        tasks: The benchmark's tasks.
        seeds: The seeds every method ran with.

    Returns:
        dict: ``baseline`` (task -> ``{'metric', 'value'}``), ``rows``
        (one per method with every run successful, in order) and
        ``incomplete`` (names of the other methods).

    Raises:
        ValueError: As :func:`single_task_baseline`.
    """
    baseline = single_task_baseline(runs, tasks, seeds)
    parsed = parse_baseline(baseline)
    index = _index(runs)
    rows, incomplete = [], []
    for name, method in methods.items():
        row = _row(method, index, tasks, seeds, parsed)
        if row is None:
            incomplete.append(name)
        else:
            rows.append(row)
    return dict(baseline=baseline, rows=rows, incomplete=incomplete)


def _pm(stat: dict, digits: int, sign: bool = False) -> str:
    fmt = f'{{:{"+" if sign else ""}.{digits}f}}'
    text = fmt.format(stat['mean'])
    if stat['spread'] is not None:
        text += ' ± ' + f'{{:.{digits}f}}'.format(stat['spread'])
    return text


def format_table(summary: Mapping, tasks: Sequence[str]) -> str:
    """The paper-style Markdown table of :func:`summarize`'s output."""
    head = ['Method', 'Trainable backbone params', '% of backbone']
    for task in tasks:
        spec = get_task(task)
        arrow = '↑' if spec.higher_is_better[spec.metric] else '↓'
        head.append(f'{task} {spec.metric} {arrow}')
    head += ['Δm (%) ↑', 's / iter']
    lines = [
        '| ' + ' | '.join(head) + ' |', '|---|' + '---:|' * (len(head) - 1)
    ]
    for row in summary['rows']:
        label = row['label']
        if row['runs'] > 1:
            label += f' ({row["runs"]} models)'
        cells = [
            label, f'{row["backbone_trainable"]:,}',
            f'{row["backbone_percent"]:.2f}'
        ]
        cells += [_pm(row['metrics'][task], 2) for task in tasks]
        cells += [
            _pm(row['delta_m'], 2, sign=True),
            _pm(row['sec_per_iter'], 3)
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def table_notes(summary: Mapping, seeds: Sequence[int],
                warmup: int) -> List[str]:
    """The lines printed under the table (what the numbers are)."""
    base = ', '.join(f'{t} {b["metric"]} {b["value"]:.2f}'
                     for t, b in summary['baseline'].items())
    spread = ('mean ± sample standard deviation over seeds '
              if len(seeds) > 1 else 'one seed: ')
    return [
        f'{spread}{", ".join(str(s) for s in seeds)}.',
        f'Δm against this run\'s single-task full fine-tuning (seed mean: '
        f'{base}).',
        f's / iter: median training iteration time after {warmup} '
        'warm-up iterations (data loading included); the single-task row '
        'sums its models.',
        '% of backbone: trainable backbone parameters over the pretrained '
        'Swin\'s.',
    ]
