"""Compare two ``tools/test.py --out`` runs task by task.

Usage::

    python tools/analysis_tools/compare_test_runs.py BEFORE AFTER \\
        [--names base added]

``BEFORE`` and ``AFTER`` are ``--out`` directories (``metrics.json`` and one
folder of prediction files per task; :class:`MultiTaskOutputHook`). For
every task both runs predicted, the tool prints its metrics side by side
and says whether they are identical and whether every prediction file is
byte-identical; for tasks only ``AFTER`` predicted (tasks added to a
trained model), their metrics. The exit status is 1 if a shared task's
metrics or predictions differ: ``make demo-add-task`` uses it to show that
adding a task leaves the trained tasks exactly as they were.
"""
import argparse
import filecmp
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from mmvmt.fileio.metrics_file import read_metrics_file
from mmvmt.tasks import TASKS

__all__ = ['parse_args', 'task_metrics', 'compare_predictions', 'main']


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('before', help='--out directory of the first run')
    parser.add_argument('after', help='--out directory of the second run')
    parser.add_argument(
        '--names',
        nargs=2,
        default=('before', 'after'),
        metavar=('BEFORE', 'AFTER'),
        help='column names of the two runs')
    return parser.parse_args(argv)


def task_metrics(metrics: Dict[str, float]) -> Dict[str, Dict[str, float]]:
    """Group ``'<task>/<metric>'`` keys by task (other keys are dropped)."""
    out: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        task = key.split('/')[0]
        if task in TASKS:
            out.setdefault(task, {})[key] = value
    return out


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def compare_predictions(before: str, after: str,
                        task: str) -> Tuple[int, List[str]]:
    """Byte-compare the prediction files of ``task`` in two runs.

    Returns:
        tuple: The number of files compared and the names that differ or
        exist in one run only.

    Raises:
        FileNotFoundError: If a run has no prediction folder for ``task``.
    """
    folders = [osp.join(d, task) for d in (before, after)]
    for folder in folders:
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'no predictions of {task!r} in {folder} (tools/test.py '
                '--out DIR writes DIR/<task>/)')
    names = [sorted(os.listdir(f)) for f in folders]
    differ = sorted(set(names[0]) ^ set(names[1]))
    common = sorted(set(names[0]) & set(names[1]))
    differ += [
        n for n in common if not filecmp.cmp(
            osp.join(folders[0], n), osp.join(folders[1], n), shallow=False)
    ]
    return len(common), sorted(differ)


def _table(rows: List[List[str]], head: List[str]) -> str:
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the comparison; return the exit status (1: a task changed)."""
    args = parse_args(argv)
    runs = [
        task_metrics(read_metrics_file(osp.join(d, 'metrics.json')))
        for d in (args.before, args.after)
    ]
    shared = [t for t in runs[0] if t in runs[1]]
    added = [t for t in runs[1] if t not in runs[0]]
    changed = []
    if shared:
        rows = []
        for task in shared:
            keys = list(runs[0][task]) + [
                k for k in runs[1][task] if k not in runs[0][task]
            ]
            for key in keys:
                a, b = (r[task].get(key, math.nan) for r in runs)
                same = _same(a, b)
                if not same:
                    changed.append(key)
                rows.append([
                    key, f'{a:.6g}', f'{b:.6g}',
                    'identical' if same else 'DIFFERENT'
                ])
        print(f'Tasks of both runs ({", ".join(shared)}): metrics')
        print(_table(rows, ['metric', *args.names, '']))
        for task in shared:
            count, differ = compare_predictions(args.before, args.after, task)
            if differ:
                changed.append(f'{task} predictions')
            print(f'{task}: {count - len(differ)} of {count} prediction '
                  'files byte-identical' +
                  (f'; differ: {differ[:5]}' if differ else ''))
        if changed:
            print(f'=> CHANGED between {args.names[0]} and {args.names[1]}: '
                  f'{changed}')
        else:
            print(f'=> IDENTICAL: every metric and every prediction file of '
                  f'{", ".join(shared)} is the same in {args.names[0]} and '
                  f'{args.names[1]}.')
    if added:
        rows = [[key, f'{value:.6g}'] for task in added
                for key, value in runs[1][task].items()]
        print(f'\nTask(s) only in {args.names[1]} ({", ".join(added)}): '
              'metrics')
        print(_table(rows, ['metric', args.names[1]]))
    return 1 if changed else 0


if __name__ == '__main__':
    sys.exit(main())
