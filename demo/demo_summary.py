"""Print a run's metrics beside the trivial baselines of the same data.

``python demo/demo_summary.py CONFIG METRICS_JSON [--out FILE]
[--drawings DIR]``; ``make demo`` runs it after ``tools/test.py --out``.
It scores the trivial predictors of the config's data
(:func:`mmvmt.evaluation.trivial_baselines.evaluate_trivial_baselines`:
majority class, image-blind per-pixel prior, all-zero saliency), writes
them to ``--out`` (default: ``trivial_baselines.json`` beside
``METRICS_JSON``) and prints each task's primary metric for the run and
for the trivial predictor on the val set, with their ratio. There is no
delta_m: the demo data have no single-task baseline.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence

from mmengine.config import Config

from mmvmt.evaluation.trivial_baselines import (PREDICTOR,
                                                evaluate_trivial_baselines)
from mmvmt.fileio.metrics_file import read_metrics_file
from mmvmt.tasks import get_task


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Print a run\'s metrics beside its trivial baselines')
    parser.add_argument('config', help='the run\'s config file')
    parser.add_argument(
        'metrics', help='the run\'s metrics.json (tools/test.py --out)')
    parser.add_argument(
        '--out',
        help='write the trivial baselines here (default: '
        'trivial_baselines.json beside METRICS)')
    parser.add_argument(
        '--drawings', help='folder of drawn predictions to list at the end')
    return parser.parse_args(argv)


def summary_rows(metrics: Mapping[str, float],
                 trivial: Mapping[str, float]) -> List[List[str]]:
    """One row per task: task/metric, run, trivial, how much better.

    Args:
        metrics: The run's metrics (``'<task>/<metric>'`` keys).
        trivial: The trivial predictor's metrics on the same split.

    Returns:
        list: Rows of strings; the last column says how many times better
        the run is (higher-is-better: run / trivial; lower: trivial / run).
    """
    rows = []
    for key in trivial:
        task, name = key.split('/', 1)
        spec = get_task(task)
        if name != spec.metric or key not in metrics:
            continue
        run, base = metrics[key], trivial[key]
        higher = spec.higher_is_better[name]
        num, den = (run, base) if higher else (base, run)
        ratio = f'{num / den:.1f}x' if den > 0 else 'n/a'
        arrow = '(higher is better)' if higher else '(lower is better)'
        rows.append([f'{key} {arrow}', f'{run:.2f}', f'{base:.2f}', ratio])
    return rows


def format_table(rows: List[List[str]], header: Sequence[str]) -> str:
    """A plain fixed-width text table."""
    widths = [
        max(len(r[i]) for r in [list(header)] + rows)
        for i in range(len(header))
    ]
    lines = [
        '  '.join(c.ljust(w) for c, w in zip(row, widths))
        for row in [list(header)] + rows
    ]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Run the summary; returns the trivial baselines."""
    args = parse_args(argv)
    metrics = read_metrics_file(args.metrics)
    cfg = Config.fromfile(args.config)
    trivial = evaluate_trivial_baselines(cfg)
    out = args.out or osp.join(
        osp.dirname(osp.abspath(args.metrics)), 'trivial_baselines.json')
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(trivial, f, indent=2)
    val = trivial[f'{PREDICTOR}_val']
    print('\nThe run on the val set beside the trivial predictor of the same '
          'data (majority class; per-pixel mean of the training maps; '
          'probability 0 for saliency and edges):')
    print(
        format_table(
            summary_rows(metrics, val),
            ['task/metric', 'run', 'trivial', 'better by']))
    print(f'every metric of the trivial predictors (train and val): {out}')
    print(f'every metric of the run: {args.metrics}')
    if args.drawings:
        drawings = sorted(
            glob.glob(osp.join(args.drawings, '**', '*.png'), recursive=True))
        print(f'{len(drawings)} val images drawn (image | ground truth '
              f'above prediction, per task) in {args.drawings}:')
        for path in drawings:
            print(f'  {path}')
    return trivial


if __name__ == '__main__':
    main()
