"""The table's numbers: delta_m, mean and spread, what the spread separates.

Pure functions of the run records (no training), so the arithmetic is
tested on hand-made numbers. A run record is a run's manifest
(:mod:`.manifest`): ``method``, ``task`` (None for a multi-task run),
``seed``, ``status``, ``metrics`` (``'<task>/<metric>' -> value``),
``sec_per_iter``, ``backbone_trainable``, ``backbone_params``, and for a
failed run ``error`` and ``log``.

* Baseline: given (:func:`.baseline.make_baseline` of the single-task
  runs, mean over their seeds); None leaves delta_m out.
* delta_m: per (method, seed), :func:`mmvmt.evaluation.compute_delta_m` of
  the run's metrics against the baseline (directions from the task table);
  the single-task row combines its T runs of the seed.
* Seeds: a row is over the seeds whose runs all finished; the others are
  listed in the row's ``missing`` (the table marks them).
* Spread: the sample standard deviation over seeds (n - 1); none for one
  seed.
* Seconds per iteration: the run's median; the single-task row sums its T
  runs (T models are trained).
* Trainable backbone parameters: the sum over the row's runs (T models for
  the single-task row); percent of the pretrained Swin's parameters (none
  for the CNN reference, whose backbone is its own).
* Trivial predictors: one row each, deterministic (no spread), delta_m
  only if they cover every task.
* Separations (:func:`separations`): the pairs of rows whose delta_m means
  differ by more than the sum of their standard deviations (the mean ± std
  intervals do not overlap); everything else is within the spread.
"""
import itertools
import statistics
from typing import Dict, List, Mapping, Optional, Sequence

from mmvmt.evaluation.metrics import compute_delta_m, parse_baseline
from mmvmt.tasks import get_task
from .methods import CNN_REFERENCE, SINGLE_TASK, Method

__all__ = [
    'metric_key', 'stats', 'finished', 'summarize', 'trivial_rows',
    'separations', 'format_table', 'format_separations', 'table_notes'
]

#: A cell with no value.
NONE = '—'


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


def finished(record: Mapping) -> bool:
    """Whether a run record has its numbers."""
    return record.get('status') == 'finished' and record.get('error') is None


def _index(runs: Sequence[Mapping]) -> Dict[tuple, Mapping]:
    return {
        (r['method'], r['task'], r['seed']): r
        for r in runs if r.get('kind', 'train') == 'train'
    }


def _row(method: Method, index: Mapping, tasks: Sequence[str],
         seeds: Sequence[int], parsed: Optional[Mapping]) -> dict:
    per_seed, missing = [], []
    for seed in seeds:
        runs = [
            index.get((method.name, task, seed)) for task, _ in method.configs
        ]
        bad = [(task, r) for (task, _), r in zip(method.configs, runs)
               if r is None or not finished(r)]
        if bad:
            missing += [
                dict(
                    seed=seed,
                    task=task,
                    status='not run' if r is None else r['status'],
                    log=None if r is None else r.get('log'),
                    error=None if r is None else r.get('error'))
                for task, r in bad
            ]
            continue
        metrics: Dict[str, float] = {}
        for run in runs:
            metrics.update(run['metrics'])
        per_seed.append((seed, metrics, runs))
    row = dict(
        method=method.name,
        label=method.label,
        kind=('single' if method.name == SINGLE_TASK else
              'reference' if method.name == CNN_REFERENCE else 'multi'),
        runs=len(method.configs),
        seeds=[s for s, _, _ in per_seed],
        missing=missing)
    if not per_seed:
        return row
    first = per_seed[0][2]
    trainable = sum(int(r['backbone_trainable']) for r in first)
    own = int(first[0]['backbone_params'])
    row.update(
        backbone_trainable=trainable,
        backbone_params=own,
        backbone_percent=(None if row['kind'] == 'reference' else 100.0 *
                          trainable / own),
        metrics={
            task: stats([m[metric_key(task)] for _, m, _ in per_seed])
            for task in tasks
        })
    if parsed is not None:
        deltas = [compute_delta_m(m, parsed) for _, m, _ in per_seed]
        row['deltas'] = {
            task: stats([d[f'multitask/delta_{task}'] for d in deltas])
            for task in tasks
        }
        row['delta_m'] = stats([d['multitask/delta_m'] for d in deltas])
    times = [[r.get('sec_per_iter') for r in runs] for _, _, runs in per_seed]
    if all(t is not None for ts in times for t in ts):
        row['sec_per_iter'] = stats([sum(ts) for ts in times])
    return row


def summarize(runs: Sequence[Mapping],
              methods: Mapping[str, Method],
              tasks: Sequence[str],
              seeds: Sequence[int],
              baseline: Optional[Mapping[str, Mapping]] = None) -> dict:
    """The table's numbers.

    Args:
        runs: Run records (see the module docstring).
        methods: Name -> :class:`Method`, in table order.
        tasks: The benchmark's tasks.
        seeds: The seeds of the table.
        baseline: Task -> ``{'metric', 'value'}`` (None: no delta_m).

    Returns:
        dict: ``baseline`` and ``rows`` (one per method, in order; a row
        with no finished seed has only its name, ``seeds`` empty and
        ``missing``).

    Raises:
        ValueError: If ``baseline`` lacks a task or is not a valid baseline.
    """
    parsed = None
    if baseline is not None:
        absent = [t for t in tasks if t not in baseline]
        if absent:
            raise ValueError(f'baseline {dict(baseline)} has no {absent}')
        parsed = parse_baseline(baseline)
    index = _index(runs)
    rows = [
        _row(method, index, tasks, seeds, parsed)
        for method in methods.values()
    ]
    return dict(
        baseline=None if baseline is None else dict(baseline), rows=rows)


def trivial_rows(
        trivial: Mapping[str, Mapping[str, float]],
        tasks: Sequence[str],
        baseline: Optional[Mapping[str, Mapping]] = None) -> List[dict]:
    """One row per trivial predictor (``name -> {metric key: value}``).

    A task the predictor does not cover has no cell; delta_m only where it
    covers every task.
    """
    parsed = parse_baseline(baseline) if baseline is not None else None
    rows = []
    for name, metrics in trivial.items():
        row = dict(
            method=f'trivial:{name}',
            label=f'Trivial: {name}',
            kind='trivial',
            runs=0,
            seeds=[],
            missing=[],
            metrics={
                task: stats([metrics[metric_key(task)]])
                for task in tasks if metric_key(task) in metrics
            })
        if parsed is not None and len(row['metrics']) == len(tasks):
            delta = compute_delta_m(dict(metrics), parsed)
            row['delta_m'] = stats([delta['multitask/delta_m']])
        rows.append(row)
    return rows


def separations(rows: Sequence[Mapping], key: str = 'delta_m') -> List[dict]:
    """Pairs of rows whose ``key`` differs by more than the spread.

    Rows without ``key`` or without a spread (one seed) are left out. A
    pair is separated when ``|mean_a - mean_b| > std_a + std_b``.

    Returns:
        list[dict]: ``higher``, ``lower`` (row labels), ``difference`` and
        ``spread`` (the sum of the two std), largest difference first.
    """
    usable = [r for r in rows if key in r and r[key]['spread'] is not None]
    out = []
    for a, b in itertools.combinations(usable, 2):
        if a[key]['mean'] < b[key]['mean']:
            a, b = b, a
        diff = a[key]['mean'] - b[key]['mean']
        spread = a[key]['spread'] + b[key]['spread']
        if diff > spread:
            out.append(
                dict(
                    higher=a['label'],
                    lower=b['label'],
                    difference=diff,
                    spread=spread))
    return sorted(out, key=lambda s: -s['difference'])


def format_separations(rows: Sequence[Mapping],
                       key: str = 'delta_m') -> List[str]:
    """The statement of which ``key`` differences exceed the spread."""
    usable = [r for r in rows if key in r and r[key]['spread'] is not None]
    if len(usable) < 2:
        return [
            'Which differences exceed the spread: needs two or more rows '
            'with at least two seeds each.'
        ]
    found = separations(rows, key)
    lines = [
        f'Differences in Δm larger than the spread (|mean difference| > '
        f'std + std, i.e. the mean ± std intervals do not overlap), '
        f'{len(found)} of {len(usable) * (len(usable) - 1) // 2} pairs:'
    ]
    for sep in found:
        lines.append(f'- {sep["higher"]} > {sep["lower"]}: '
                     f'{sep["difference"]:+.2f} (spread {sep["spread"]:.2f})')
    if not found:
        lines.append('- none: every difference is within the spread.')
    else:
        lines.append('Every other pair is within the spread.')
    return lines


def _pm(stat: Optional[dict], digits: int, sign: bool = False) -> str:
    if stat is None:
        return NONE
    fmt = f'{{:{"+" if sign else ""}.{digits}f}}'
    text = fmt.format(stat['mean'])
    if stat['spread'] is not None:
        text += ' ± ' + f'{{:.{digits}f}}'.format(stat['spread'])
    return text


def _label(row: Mapping) -> str:
    label = row['label']
    if row['runs'] > 1:
        label += f' ({row["runs"]} models)'
    if row['missing']:
        label += ' †' if row['seeds'] else ' (failed †)'
    return label


def format_table(summary: Mapping,
                 tasks: Sequence[str],
                 extra_rows: Sequence = ()) -> str:
    """The paper-style Markdown table of :func:`summarize`'s output (and
    ``extra_rows``, e.g. :func:`trivial_rows`, at the end)."""
    head = ['Method', 'Trainable backbone params', '% of backbone']
    for task in tasks:
        spec = get_task(task)
        arrow = '↑' if spec.higher_is_better[spec.metric] else '↓'
        head.append(f'{task} {spec.metric} {arrow}')
    head += ['Δm (%) ↑', 's / iter']
    lines = [
        '| ' + ' | '.join(head) + ' |', '|---|' + '---:|' * (len(head) - 1)
    ]
    for row in list(summary['rows']) + list(extra_rows):
        count = row.get('backbone_trainable')
        percent = row.get('backbone_percent')
        cells = [
            _label(row), NONE if count is None else f'{count:,}',
            NONE if percent is None else f'{percent:.2f}'
        ]
        cells += [_pm(row.get('metrics', {}).get(task), 2) for task in tasks]
        cells += [
            _pm(row.get('delta_m'), 2, sign=True),
            _pm(row.get('sec_per_iter'), 3)
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def table_notes(summary: Mapping, seeds: Sequence[int],
                warmup: int) -> List[str]:
    """The lines printed under the table (what the numbers are)."""
    spread = ('mean ± sample standard deviation over seeds '
              if len(seeds) > 1 else 'one seed: ')
    notes = [f'{spread}{", ".join(str(s) for s in seeds)}.']
    if summary['baseline'] is None:
        notes.append('Δm: none (no single-task baseline; see the failed '
                     'runs below).')
    else:
        base = ', '.join(f'{t} {b["metric"]} {b["value"]:.2f}'
                         for t, b in summary['baseline'].items())
        notes.append('Δm against this run\'s single-task full fine-tuning '
                     f'(seed mean: {base}).')
    reference = any(r['kind'] == 'reference' for r in summary['rows'])
    notes += [
        f's / iter: median training iteration time after {warmup} warm-up '
        'iterations (data loading included); the single-task row sums its '
        'models.',
        '% of backbone: trainable backbone parameters over the pretrained '
        'Swin\'s' + (' (the CNN reference trains its own backbone from '
                     'scratch).' if reference else '.'),
    ]
    for row in summary['rows']:
        for miss in row['missing']:
            what = row['label'] + (f' ({miss["task"]})'
                                   if miss['task'] else '')
            where = f' (log: {miss["log"]})' if miss['log'] else ''
            notes.append(f'† {what} seed {miss["seed"]}: {miss["status"]}'
                         f'{where}; not in the row.')
    return notes
