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

``--mean`` takes several runs per task (e.g. seeds: the table runner
``paper_table.py`` makes its baseline this way) and writes their mean,
with every source file listed.

Refused, with a message naming the file and key: an unreadable or non-JSON
file, a file whose keys are not ``'<task>/<metric>'`` numbers, a file
holding no task or several tasks, a task present in two files (without
``--mean``), a missing metric key, and a value delta_m cannot divide by
(not a positive finite number, e.g. nan when no pixel was valid). The logic
is :mod:`mmvmt.benchmark.baseline`.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

from mmvmt.benchmark.baseline import (make_baseline, parse_overrides,
                                      read_run_metrics)
from mmvmt.fileio.baseline_file import write_baseline_file

__all__ = [
    'parse_args', 'read_run_metrics', 'make_baseline', 'parse_overrides',
    'main'
]


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
    parser.add_argument(
        '--mean',
        action='store_true',
        help='several runs per task (e.g. seeds): the baseline is the mean '
        'of each task\'s runs')
    return parser.parse_args(argv)


def _files(files: Union[str, List[str]]) -> str:
    return files if isinstance(files, str) else ', '.join(files)


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
                                      parse_overrides(args.metric),
                                      args.configs, args.mean)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    write_baseline_file(args.out, baseline, sources)
    rows: List[str] = [f'{"task":<14}{"metric":<10}{"value":>12}  source']
    for task, entry in baseline.items():
        rows.append(f'{task:<14}{entry["metric"]:<10}{entry["value"]:>12.4f}'
                    f'  {_files(sources[task]["metrics_file"])}')
    print('\n'.join(rows))
    print(f'baseline file written: {args.out} (use '
          f"MultiTaskMetric(baseline='{args.out}'))")
    return baseline


if __name__ == '__main__':
    main()
