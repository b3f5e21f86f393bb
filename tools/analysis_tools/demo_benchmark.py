"""The VMT paper's comparison table at CPU scale, on the demo.

Every method trains on the PASCAL demo target (``--dataset pascal``; NYUD
with ``--dataset nyud``) with the demo's backbone, data, heads and schedule:
each method's full config with the demo settings of the demo config
(``configs/vmt/swin-t_pascal_demo.py``) transplanted in
(:func:`mmvmt.testing.demo_benchmark.to_demo_config`). Methods (rows):
single-task full fine-tuning per task (``configs/single_task``, always
run: the delta_m baseline of this run), multi-task full fine-tuning,
decoder-only, BitFit, LoRA r=4, Houlsby adapter (shared), MTLoRA r=16,
Polyhistor-Lite (``configs/baselines``), VMT and VMT-Lite (``configs/vmt``).

Each (method, seed) is one mmengine Runner in this process with
``randomness=dict(seed=seed, deterministic=False)``, its own experiment
name and work dir (``<work-dir>/<method>[-<task>]/seed<seed>``), validated
once at the end. The table (Markdown, on stdout): trainable backbone
parameters (and % of the pretrained Swin), each task's primary metric,
delta_m against this run's single-task numbers (seed means), and the
median training time per iteration after ``--timing-warmup`` iterations;
mean ± sample standard deviation over the seeds.

A failed run does not stop the others; the tool then exits 1 naming each
failed method and seed (and prints only the complete rows).

Examples::

    python tools/analysis_tools/demo_benchmark.py --json bench.json
    python tools/analysis_tools/demo_benchmark.py --methods vmt bitfit-shared
    python tools/analysis_tools/demo_benchmark.py --quick \\
        --backbone-checkpoint none
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import mmvmt  # noqa: F401  (registers modules)
from mmvmt.testing import demo_benchmark as db

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: ``--quick``: iterations, validation images, timing warm-up, workers.
QUICK = dict(max_iters=4, val_images=2, warmup=1, num_workers=0)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--dataset', choices=sorted(db.BENCHMARKS), default='pascal')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=None,
        help='methods to run (default: all; the single-task baseline '
        f'{db.SINGLE_TASK!r} always runs)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'demo_benchmark'))
    parser.add_argument('--json', metavar='OUT', help='also write JSON here')
    parser.add_argument(
        '--quick',
        action='store_true',
        help=f'{", ".join(db.QUICK_METHODS)} + single-task, '
        f'{QUICK["max_iters"]} iterations, {QUICK["val_images"]} val '
        'images, no loader workers (a smoke test, not a measurement)')
    parser.add_argument(
        '--backbone-checkpoint',
        metavar='PATH|none',
        default=None,
        help="the demo Swin's weights (default: the demo config's; 'none': "
        'random init)')
    parser.add_argument(
        '--data-root', help="demo data root (default: the demo config's)")
    parser.add_argument(
        '--max-iters',
        type=int,
        help='schedule length, schedulers scaled (default: the demo '
        "config's)")
    parser.add_argument(
        '--val-images', type=int, help='validate on the first N images')
    parser.add_argument(
        '--num-workers', type=int, help='data loader workers per loader')
    parser.add_argument(
        '--timing-warmup',
        type=int,
        default=None,
        help='iterations left out of the time per iteration (default 5)')
    parser.add_argument(
        '--log-level', help="the runners' log level (default: the config's)")
    args = parser.parse_args(argv)
    quick = QUICK if args.quick else {}
    for key in ('max_iters', 'val_images', 'num_workers'):
        if getattr(args, key) is None:
            setattr(args, key, quick.get(key))
    if args.timing_warmup is None:
        args.timing_warmup = quick.get('warmup', 5)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds: each seed once, got {args.seeds}')
    return args


def _checkpoint(args: argparse.Namespace):
    if args.backbone_checkpoint is None:
        return db.DEFAULT
    if args.backbone_checkpoint.lower() == 'none':
        return None
    return args.backbone_checkpoint


def _check_inputs(demo, path: str) -> List[str]:
    """Problems that would fail every run, found before the first."""
    problems = []
    ckpt = db.swin_checkpoint_of(demo)
    if ckpt is not None and '://' not in ckpt and not osp.isfile(ckpt):
        problems.append(
            f'demo Swin checkpoint {ckpt!r} (init_cfg of {path}) does not '
            'exist: build it (make pretrain-demo), pass '
            '--backbone-checkpoint PATH, or --backbone-checkpoint none for '
            'a random init')
    root = demo.train_dataloader.dataset.data_root
    if not osp.isdir(root):
        problems.append(f'demo data root {root!r} does not exist: generate '
                        'it (make demo-data) or pass --data-root')
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark, print the table, optionally write JSON.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.

    Returns:
        int: 0 if every run succeeded and the table is complete, else 1
        (each failed method and seed is printed to stderr).
    """
    args = parse_args(argv)
    demo_path = osp.join(REPO, db.demo_config_of(args.dataset))
    try:
        methods = db.select_methods(
            db.methods_of(args.dataset, REPO), args.methods, args.quick)
        demo = db.prepare_demo(demo_path, _checkpoint(args), args.data_root,
                               args.num_workers, args.max_iters,
                               args.val_images)
    except (ValueError, FileNotFoundError) as err:
        print(f'demo_benchmark: {err}', file=sys.stderr)
        return 1
    problems = _check_inputs(demo, osp.relpath(demo_path, REPO))
    if problems:
        for problem in problems:
            print(f'demo_benchmark: {problem}', file=sys.stderr)
        return 1
    tasks = tuple(demo.train_dataloader.dataset.tasks)
    os.makedirs(args.work_dir, exist_ok=True)
    runs = db.run_benchmark(
        methods,
        demo,
        args.seeds,
        args.work_dir,
        REPO,
        args.timing_warmup,
        args.log_level,
        progress=lambda line: print(line, flush=True))
    failed = [r for r in runs if r['error'] is not None]
    summary, error = None, None
    try:
        summary = db.summarize(runs, methods, tasks, args.seeds)
    except ValueError as err:
        error = str(err)
    if summary is not None and summary['rows']:
        print(f'\n{args.dataset} demo, {demo.train_cfg.max_iters} '
              f'iterations per run, seeds {args.seeds}\n')
        print(db.format_table(summary, tasks))
        print(
            '\n'.join([''] +
                      db.table_notes(summary, args.seeds, args.timing_warmup)))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(
                    settings=vars(args),
                    tasks=tasks,
                    runs=runs,
                    summary=summary,
                    failed=[(r['method'], r['task'], r['seed'])
                            for r in failed]),
                f,
                indent=2)
    for run in failed:
        what = run['method'] + (f' ({run["task"]})' if run['task'] else '')
        print(
            f'demo_benchmark: FAILED {what} seed {run["seed"]} '
            f'(work dir {run["work_dir"]}):\n{run["error"]}',
            file=sys.stderr)
    if error is not None:
        print(f'demo_benchmark: no table: {error}', file=sys.stderr)
    return 1 if failed or error is not None else 0


if __name__ == '__main__':
    sys.exit(main())
