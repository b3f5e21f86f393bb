"""The GPU path users take, checked on one CUDA GPU in a few minutes.

Offline (no weights, no dataset download), on one CUDA GPU:

1. generates a synthetic PASCAL_MT set at ``--size`` (448x448) with
   :func:`mmvmt.testing.demo_data.generate_demo_data` and converts it;
2. trains each method config (PASCAL VMT, VMT-Lite, MTLoRA r16,
   decoder-only; ``--setting`` picks mmvmt's configs or their literature
   twins) for ``--iters`` (50) iterations with ``tools/train.py --amp``,
   batch ``--batch`` (8), randomly initialised backbone, constant lr (no
   warm-up), no validation, no checkpoint; each run must give finite
   losses whose mean over the last 10 iterations is below the mean over
   the first 10;
3. runs ``benchmark_methods.py --device cuda --amp`` on the same configs at
   ``T`` = 1, 4, 6 (forward / training-step time, peak memory of a step);
4. writes one Markdown summary (``--out``): GPU, per method its loss check,
   s/iter and peak training memory, and the benchmark rows.

Exits 1 if a check fails (the summary is written either way) and refuses
to start without CUDA (``--dry-run`` prints the plan without running).

Example::

    python tools/analysis_tools/gpu_check.py --out work_dirs/gpu_check.md
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUFFIX = {
    'default': '_swin-t_4xb8-40k_pascal-context-mt-448x448.py',
    'literature': '_swin-t_4xb8-40k_pascal-context-mt-literature-448x448.py'
}
#: Method -> config folder, in the order of the summary.
METHODS = {
    'vmt': 'vmt',
    'vmt-lite': 'vmt',
    'mtlora-r16': 'baselines',
    'decoder-only': 'baselines',
}
#: Iterations averaged at each end of a run for the "decreasing" check.
WINDOW = 10
#: Seconds one training run or the benchmark may take.
STEP_TIMEOUT = 240
NO_CUDA = ('gpu_check: needs one CUDA GPU and torch.cuda.is_available() is '
           'False on this machine; nothing was run. --dry-run prints the '
           'plan without running it.')

__all__ = [
    'parse_args', 'config_path', 'train_command', 'benchmark_command',
    'read_losses', 'check_losses', 'format_summary', 'main'
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'gpu_check'),
        help='data, runs and benchmark JSON go here')
    parser.add_argument(
        '--out', help='summary file (default: <work-dir>/summary.md)')
    parser.add_argument(
        '--setting',
        choices=sorted(SUFFIX),
        default='default',
        help="mmvmt's configs or their literature twins")
    parser.add_argument(
        '--methods',
        default=','.join(METHODS),
        help=f'comma-separated subset of {",".join(METHODS)}')
    parser.add_argument('--iters', type=int, default=50)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=448, help='H = W')
    parser.add_argument(
        '--num-train', type=int, default=32, help='generated train images')
    parser.add_argument(
        '--tasks', default='1,4,6', help='T of the benchmark, e.g. 1,4,6')
    parser.add_argument(
        '--rounds', type=int, default=3, help='benchmark rounds')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print the plan (commands) and exit; needs no GPU')
    args = parser.parse_args(argv)
    args.method_list = [m for m in args.methods.split(',') if m]
    unknown = [m for m in args.method_list if m not in METHODS]
    if unknown or not args.method_list:
        parser.error(f'--methods: expected names from {list(METHODS)}, got '
                     f'{args.methods!r}')
    if args.iters < 2 * WINDOW:
        parser.error(f'--iters: the loss check compares the first and last '
                     f'{WINDOW} iterations, so at least {2 * WINDOW} are '
                     f'needed, got {args.iters}')
    for name in ('batch', 'num_train', 'rounds'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")}: must be positive, '
                         f'got {getattr(args, name)}')
    if args.size < 64 or args.size % 32:
        parser.error(f'--size: a multiple of 32, at least 64, got '
                     f'{args.size}')
    try:
        args.task_counts = [int(t) for t in args.tasks.split(',')]
    except ValueError:
        parser.error(f'--tasks: expected integers like 1,4,6, got '
                     f'{args.tasks!r}')
    args.out = args.out or osp.join(args.work_dir, 'summary.md')
    return args


def config_path(method: str, setting: str) -> str:
    """The PASCAL 448x448 config of ``method`` in ``setting``."""
    return osp.join(REPO, 'configs', METHODS[method], method + SUFFIX[setting])


def _pretrained_paths(node, prefix: str = 'model') -> List[str]:
    """Dotted paths of every ``init_cfg`` that loads pretrained weights."""
    paths = []
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            paths.append(f'{prefix}.init_cfg')
        for key, value in node.items():
            if key != 'init_cfg':
                paths += _pretrained_paths(value, f'{prefix}.{key}')
    return paths


def train_command(config: str, work_dir: str, data_root: str,
                  args: argparse.Namespace) -> List[str]:
    """``tools/train.py --amp`` on the generated set, short and offline.

    Args:
        config: Config path.
        work_dir: The run's work dir.
        data_root: The generated PASCAL_MT root.
        args: Parsed arguments.

    Returns:
        list[str]: The command.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    options = [
        f'train_dataloader.dataset.data_root={data_root}',
        f'train_dataloader.batch_size={args.batch}',
        'train_dataloader.num_workers=4',
        f'train_cfg.max_iters={args.iters}',
        # Constant lr (no warm-up: 50 iterations of it barely move);
        # no validation, no checkpoint.
        'param_scheduler=[]',
        'val_cfg=None',
        'val_dataloader=None',
        'val_evaluator=None',
        'default_hooks.checkpoint.interval=1000000',
        'default_hooks.checkpoint.save_last=False',
        'default_hooks.logger.interval=1',
        'randomness.seed=0',
    ] + [f'{p}=None' for p in _pretrained_paths(cfg.model.to_dict())]
    return [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), config, '--amp', '--work-dir',
        work_dir, '--cfg-options', *options
    ]


def benchmark_command(configs: Sequence[str], json_out: str,
                      args: argparse.Namespace) -> List[str]:
    """``benchmark_methods.py --device cuda --amp`` on ``configs``."""
    return [
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_methods.py'),
        *configs, '--device', 'cuda', '--amp', '--tasks', args.tasks, '--size',
        str(args.size), '--batch',
        str(args.batch), '--rounds',
        str(args.rounds), '--json', json_out
    ]


def read_losses(work_dir: str) -> Dict[str, List[float]]:
    """Per-iteration ``loss``, ``time`` and ``memory`` of a run's log.

    Reads mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one
    JSON object per logged iteration; the logger interval is 1).

    Args:
        work_dir: The run's work dir.

    Returns:
        dict: ``loss``, ``time`` and ``memory`` (MB; CUDA only) lists, in
        iteration order.

    Raises:
        FileNotFoundError: If the run wrote no scalars.
    """
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'gpu_check: no */vis_data/scalars.json '
                                f'under {work_dir} (did the run start?)')
    out: Dict[str, List[float]] = dict(loss=[], time=[], memory=[])
    with open(files[-1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for row in sorted((r for r in rows if 'loss' in r),
                      key=lambda r: r['iter']):
        for key in out:
            if key in row:
                out[key].append(float(row[key]))
    return out


def check_losses(losses: Sequence[float], iters: int) -> List[str]:
    """What is wrong with a run's losses (empty if nothing).

    Args:
        losses: Per-iteration losses.
        iters: Iterations the run should have logged.

    Returns:
        list[str]: Failures: missing iterations, non-finite values, a mean
        of the last :data:`WINDOW` not below the first's.
    """
    failures = []
    if len(losses) != iters:
        failures.append(f'{len(losses)} of {iters} iterations logged')
    bad = [i + 1 for i, v in enumerate(losses) if not math.isfinite(v)]
    if bad:
        failures.append(f'non-finite loss at iteration(s) {bad[:5]}')
    if len(losses) >= 2 * WINDOW and not bad:
        first = statistics.mean(losses[:WINDOW])
        last = statistics.mean(losses[-WINDOW:])
        if not last < first:
            failures.append(f'loss did not decrease: mean of the first '
                            f'{WINDOW} {first:.4f}, last {WINDOW} '
                            f'{last:.4f}')
    return failures


def _fmt(value: Optional[float], spec: str) -> str:
    return '-' if value is None else format(value, spec)


def format_summary(header: Dict[str, str], runs: List[dict],
                   bench: List[dict]) -> str:
    """The Markdown summary.

    Args:
        header: Facts of the run (GPU, versions, settings), in order.
        runs: Per method: ``method``, ``config``, ``losses`` (per
            iteration), ``time`` (s/iter list), ``memory`` (MB list),
            ``failures`` and ``seconds`` (wall time of the run).
        bench: ``benchmark_methods.py`` results (its JSON ``results``).

    Returns:
        str: The summary, ending with a newline.
    """
    lines = ['# GPU check', '']
    lines += [f'- {key}: {value}' for key, value in header.items()]
    lines += [
        '', '## Training (tools/train.py --amp)', '',
        f'| method | config | loss first {WINDOW} | loss last {WINDOW} '
        '| s/iter | peak MB | wall s | check |', '|' + '---|' * 8
    ]
    for run in runs:
        losses = run['losses']
        first = statistics.mean(losses[:WINDOW]) if losses else None
        last = statistics.mean(losses[-WINDOW:]) if losses else None
        times = run['time'][WINDOW // 2:] or run['time']
        lines.append('| ' + ' | '.join([
            run['method'],
            osp.basename(run['config']),
            _fmt(first, '.4f'),
            _fmt(last, '.4f'),
            _fmt(statistics.median(times) if times else None, '.3f'),
            _fmt(max(run['memory']) if run['memory'] else None, '.0f'),
            _fmt(run['seconds'], '.0f'),
            'ok' if not run['failures'] else '; '.join(run['failures']),
        ]) + ' |')
    lines += [
        '', '## benchmark_methods.py --device cuda --amp', '',
        '| method | T | fwd ms | step ms | peak step MB |', '|' + '---|' * 5
    ]
    for res in bench:
        lines.append('| ' + ' | '.join([
            res['method'],
            str(res['tasks']),
            _fmt(res.get('forward_ms'), '.1f'),
            _fmt(res.get('train_step_ms'), '.1f'),
            _fmt(res.get('train_memory_mb'), '.0f'),
        ]) + ' |')
    if not bench:
        lines.append('| (not run) | | | | |')
    return '\n'.join(lines) + '\n'


def _run(command: List[str], log: str) -> int:
    """Run ``command`` with output to ``log``; its return code."""
    with open(log, 'w') as f:
        try:
            return subprocess.run(
                command,
                cwd=REPO,
                stdout=f,
                stderr=subprocess.STDOUT,
                timeout=STEP_TIMEOUT).returncode
        except subprocess.TimeoutExpired:
            f.write(f'\ngpu_check: timed out after {STEP_TIMEOUT} s\n')
            return 124


def _generate(root: str, args: argparse.Namespace) -> str:
    """Generate and convert the synthetic PASCAL_MT set once."""
    data_root = osp.join(root, 'PASCAL_MT')
    if not osp.isdir(osp.join(data_root, 'human_parts_png')):
        from mmvmt.datasets.pascal_mt_conversion import convert_pascal_mt
        from mmvmt.testing.demo_data import generate_demo_data
        generate_demo_data(
            root,
            dataset='pascal',
            num_train=args.num_train,
            num_val=1,
            size=(args.size, args.size))
        convert_pascal_mt(data_root, progress=False)
    return data_root


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the check (or print its plan); 0 if every check passed.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.

    Returns:
        int: The exit status (0: all passed, 1: a check failed).

    Raises:
        SystemExit: Without CUDA (unless ``--dry-run``), with a message.
    """
    args = parse_args(argv)
    import torch
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data', 'PASCAL_MT')
    configs = {m: config_path(m, args.setting) for m in args.method_list}
    bench_json = osp.join(work_dir, 'benchmark.json')
    if args.dry_run:
        print(f'generate {args.num_train} train images of {args.size}x'
              f'{args.size} under {data_root} (and convert them)')
        for method, config in configs.items():
            print(' '.join(
                train_command(config, osp.join(work_dir, method), data_root,
                              args)))
        print(' '.join(
            benchmark_command(list(configs.values()), bench_json, args)))
        print(f'summary -> {args.out}')
        return 0
    if not torch.cuda.is_available():
        raise SystemExit(NO_CUDA)
    os.makedirs(work_dir, exist_ok=True)
    start = time.perf_counter()
    _generate(osp.join(work_dir, 'data'), args)
    runs = []
    for method, config in configs.items():
        run_dir = osp.join(work_dir, method)
        tic = time.perf_counter()
        code = _run(
            train_command(config, run_dir, data_root, args),
            osp.join(work_dir, f'{method}.log'))
        run = dict(
            method=method,
            config=config,
            seconds=time.perf_counter() - tic,
            losses=[],
            time=[],
            memory=[])
        failures = [] if code == 0 else [
            f'exit status {code}, see '
            f'{method}.log'
        ]
        try:
            scalars = read_losses(run_dir)
            run.update(
                losses=scalars['loss'],
                time=scalars['time'],
                memory=scalars['memory'])
            failures += check_losses(scalars['loss'], args.iters)
        except FileNotFoundError as err:
            failures.append(str(err))
        run['failures'] = failures
        runs.append(run)
    code = _run(
        benchmark_command(list(configs.values()), bench_json, args),
        osp.join(work_dir, 'benchmark.log'))
    bench = []
    if code == 0:
        with open(bench_json) as f:
            bench = json.load(f)['results']
    header = {
        'GPU':
        torch.cuda.get_device_name(0),
        'torch / CUDA':
        f'{torch.__version__} / {torch.version.cuda}',
        'setting':
        f'{args.setting} configs, {args.size}x{args.size}, '
        f'batch {args.batch}, {args.iters} iterations, AMP, random-init '
        'backbone, synthetic data',
        'benchmark':
        'ok' if code == 0 else f'exit status {code}, see '
        'benchmark.log',
        'total wall time':
        f'{time.perf_counter() - start:.0f} s',
    }
    summary = format_summary(header, runs, bench)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(summary)
    print(summary)
    failed = code != 0 or any(run['failures'] for run in runs)
    print(f'gpu_check: {"FAILED" if failed else "passed"}; summary in '
          f'{args.out}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
