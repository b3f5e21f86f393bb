"""The paper's comparison table, at CPU scale or at full scale, in one command.

Two settings, one code path (``mmvmt.benchmark``: the same methods, runs,
manifests, table and figures):

* ``--setting demo`` (default, ``make demo-benchmark``): every method on
  the CPU-scale demo, each method's full config with the demo settings
  transplanted in (:func:`mmvmt.benchmark.to_demo_config`), plus the trivial
  baselines and a from-scratch CNN reference; runs train in this process.
* ``--setting literature``: every method's literature-protocol config
  (``*-literature-448x448.py``) as it is, the single-task runs whose test
  numbers become this table's delta_m baseline (``make_baseline.py
  --mean``), each run tested from the checkpoint its config's ``save_best``
  kept (best delta_m; the NYUD single-task runs: best task metric).

Launchers (``--launcher``): ``inprocess`` (the demo default), ``local``
(``tools/train.py`` then ``tools/test.py``, one run after another), ``dist``
(``tools/dist_train.sh CONFIG --gpus``), ``slurm`` (one ``srun`` job per
step through ``tools/slurm_train.sh`` / ``slurm_test.sh``: ``--partition``,
``--gpus`` per job, ``--srun-args``; up to ``--max-jobs`` runs at once).

Resumable: each run keeps a manifest (``<work-dir>/<run>/seed<S>/
manifest.json``: config, seed, command, work dir, status, metrics, the
checkpoint the numbers came from). Invoked again with the same arguments,
the tool skips finished runs, resumes interrupted ones from their latest
checkpoint (``tools/train.py --resume``), reports failed ones (rerun with
``--rerun-failed``) and tabulates. ``--dry-run`` prints every command it
would launch. A failed run does not stop the others: the table marks it and
the tool exits 1 naming its log.

Writes into ``--work-dir``: ``table.md``, ``results.json`` (settings,
every run's manifest, the table's numbers, the separations),
``baseline.json``, ``delta_m_vs_params.png`` and ``time_vs_tasks.png``
(the efficiency run: ``benchmark_methods.py --backbone-only`` over T).

Examples::

    python tools/analysis_tools/paper_table.py --quick   # smoke test
    python tools/analysis_tools/paper_table.py --seeds 0 1 2
    python tools/analysis_tools/paper_table.py --setting literature \\
        --launcher dist --gpus 4
    python tools/analysis_tools/paper_table.py --setting literature \\
        --launcher slurm --partition gpu --gpus 4 --dry-run
    python tools/analysis_tools/paper_table.py --fit-budget 60 \\
        --timings-from work_dirs/calibration/results.json
"""
import argparse
import json
import os
import os.path as osp
import shlex
import sys
import time
from typing import List, Optional, Sequence, Tuple

from mmengine.config import DictAction

import mmvmt  # noqa: F401  (registers modules)
from mmvmt import benchmark as bm
from mmvmt.datasets.facts import split_sizes
from mmvmt.evaluation.trivial_baselines import (PREDICTOR,
                                                evaluate_trivial_baselines)
from mmvmt.fileio.baseline_file import write_baseline_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: ``--quick``: iterations, validation images, timing warm-up, workers.
QUICK = dict(max_iters=4, val_images=2, warmup=1, num_workers=0)
#: The demo table's iterations per run (not the demo config's 800): the 14
#: runs x 3 seeds fit about 60 min on the 2-core machine, as solved by
#: ``--fit-budget 60 --timings-from <calibration>/results.json`` from a
#: ``--max-iters 20 --seeds 0`` calibration of the demo when it still
#: trained with augmentation (403, rounded); the demo without it took
#: 64.6 min at 400 (README).
DEMO_MAX_ITERS = 400
#: Seeds per setting (the demo ranks methods over seeds; the literature
#: tables are single runs).
SEEDS = dict(demo=[0, 1, 2], literature=[0])
#: The efficiency run's methods: the O(1) method, its Lite twin, methods
#: that pay per task, and the T single-task models.
EFFICIENCY_METHODS = ('vmt', 'vmt-lite', 'mtlora-r16', 'polyhistor-lite',
                      'lora-r4-per-task', 'fullft-st')
#: ``benchmark_methods.py`` arguments of the efficiency run, per setting.
EFFICIENCY_ARGS = dict(
    demo=('--backbone-only', '--tasks', '1,2,4', '--size', '96', '--rounds',
          '3', '--threads', '1'),
    literature=('--backbone-only', '--tasks', '1,2,4,6', '--size', '448',
                '--batch', '8', '--rounds', '10', '--device', 'cuda', '--amp'),
    quick=('--quick', '--tasks', '1,2'))
#: Output files in the work dir.
OUTPUTS = dict(
    table='table.md',
    json='results.json',
    baseline='baseline.json',
    params_plot='delta_m_vs_params.png',
    time_plot='time_vs_tasks.png')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--setting', choices=bm.SETTINGS, default='demo', help='the scale')
    parser.add_argument(
        '--dataset', choices=sorted(bm.BENCHMARKS), default='pascal')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=None,
        help='methods to run (default: all of the setting; the single-task '
        f'baseline {bm.SINGLE_TASK!r} always runs)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        help='random seeds (default: demo 0 1 2, literature 0)')
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/paper_table/<dataset>_<setting>')
    parser.add_argument(
        '--json', metavar='OUT', help='default: <work-dir>/results.json')
    parser.add_argument(
        '--launcher',
        choices=sorted(bm.LAUNCHERS),
        help='default: inprocess (demo), local (literature)')
    parser.add_argument(
        '--gpus',
        type=int,
        default=4,
        help='dist: GPUs per run; slurm: GPUs (tasks) per job')
    parser.add_argument('--partition', help='slurm: the partition')
    parser.add_argument(
        '--gpus-per-node', type=int, help='slurm: default min(--gpus, 8)')
    parser.add_argument('--cpus-per-task', type=int, default=5)
    parser.add_argument(
        '--srun-args',
        default='',
        help='slurm: extra srun arguments, one string; write '
        '--srun-args="--time=1-00:00:00 ..." (with "=")')
    parser.add_argument(
        '--max-jobs',
        type=int,
        default=1000,
        help='slurm: runs in flight at once')
    parser.add_argument(
        '--port', type=int, default=29500, help='slurm: first MASTER_PORT')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides of every run (as tools/train.py); part of each '
        "run's fingerprint")
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print every command it would launch; launch nothing')
    parser.add_argument(
        '--rerun-failed',
        action='store_true',
        help='restart failed runs (the failed attempt is kept aside)')
    parser.add_argument(
        '--take-over',
        action='store_true',
        help='resume runs another invocation (or host) still owns')
    parser.add_argument(
        '--published',
        metavar='FILE|none|default',
        help='published delta_m to overlay on the figure (default: the '
        "repository's for the literature setting, none for the demo)")
    parser.add_argument(
        '--no-efficiency',
        action='store_true',
        help='skip the efficiency run (no time-vs-T figure)')
    parser.add_argument(
        '--efficiency-args',
        help='benchmark_methods.py arguments instead of the default '
        '(one string)')
    parser.add_argument(
        '--no-trivial',
        action='store_true',
        help='skip the trivial baselines (demo)')
    parser.add_argument(
        '--fit-budget',
        type=float,
        metavar='MINUTES',
        help='print the largest --max-iters whose estimated wall time fits, '
        'from --timings-from; train nothing')
    parser.add_argument(
        '--timings-from',
        metavar='JSON',
        help="a calibration table's results.json (for --fit-budget)")
    parser.add_argument(
        '--estimate-hours',
        action='store_true',
        help='literature: print each run\'s expected hours on one GPU from '
        'counted FLOPs and --assume-tflops (an estimate); train nothing')
    parser.add_argument(
        '--assume-tflops',
        nargs='+',
        type=float,
        default=[20.0, 80.0],
        help='sustained TFLOP/s of one GPU for --estimate-hours (default: '
        '20 fp32/TF32, 80 mixed precision)')
    demo = parser.add_argument_group('demo setting')
    demo.add_argument(
        '--quick',
        action='store_true',
        help=f'{", ".join(bm.QUICK_METHODS)} + single-task, '
        f'{QUICK["max_iters"]} iterations, {QUICK["val_images"]} val '
        'images, no loader workers, one seed (a smoke test, not a '
        'measurement)')
    demo.add_argument(
        '--backbone-checkpoint',
        metavar='PATH|none',
        help="the demo Swin's weights (default: the demo config's; 'none': "
        'random init)')
    demo.add_argument(
        '--data-root', help="demo data root (default: the demo config's)")
    demo.add_argument(
        '--max-iters',
        type=int,
        help='schedule length, schedulers scaled (default '
        f'{DEMO_MAX_ITERS}: the table fits about 60 min on 2 cores)')
    demo.add_argument(
        '--val-images', type=int, help='validate on the first N images')
    demo.add_argument(
        '--num-workers', type=int, help='data loader workers per loader')
    demo.add_argument(
        '--log-level', help="the runners' log level (default: the config's)")
    parser.add_argument(
        '--timing-warmup',
        type=int,
        default=None,
        help='iterations left out of the time per iteration (default 5)')
    args = parser.parse_args(argv)
    _resolve(parser, args)
    return args


def _resolve(parser: argparse.ArgumentParser,
             args: argparse.Namespace) -> None:
    """Setting-dependent defaults and checks."""
    demo = args.setting == 'demo'
    demo_only = ('quick', 'backbone_checkpoint', 'data_root', 'max_iters',
                 'val_images', 'num_workers')
    used = [k for k in demo_only if getattr(args, k) not in (None, False)]
    if not demo and used:
        parser.error(f'--{used[0].replace("_", "-")} is a demo-setting '
                     'option (the literature configs run as they are; use '
                     '--cfg-options)')
    quick = QUICK if args.quick else {}
    for key in ('max_iters', 'val_images', 'num_workers'):
        if getattr(args, key) is None:
            setattr(args, key, quick.get(key))
    if demo and args.max_iters is None:
        args.max_iters = DEMO_MAX_ITERS
    if args.timing_warmup is None:
        args.timing_warmup = quick.get('warmup', 5)
    if args.seeds is None:
        args.seeds = [0] if args.quick else list(SEEDS[args.setting])
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds: each seed once, got {args.seeds}')
    if args.launcher is None:
        args.launcher = 'inprocess' if demo else 'local'
    if args.launcher == 'slurm' and not args.partition:
        parser.error('--launcher slurm needs --partition')
    if args.work_dir is None:
        args.work_dir = osp.join('work_dirs', 'paper_table',
                                 f'{args.dataset}_{args.setting}')
    args.work_dir = osp.abspath(args.work_dir)
    if args.json is None:
        args.json = osp.join(args.work_dir, OUTPUTS['json'])
    if args.published is None:
        args.published = 'none' if demo else 'default'
    if args.fit_budget is not None and not args.timings_from:
        parser.error('--fit-budget needs --timings-from')
    if args.estimate_hours and demo:
        parser.error('--estimate-hours is for --setting literature')
    try:
        args.cfg_dict = _parse_cfg_options(args.cfg_options)
    except Exception as err:  # noqa: B902  (argparse's own errors)
        parser.error(f'--cfg-options: {err}')


def _parse_cfg_options(items: Sequence[str]) -> dict:
    """``KEY=VALUE`` items parsed as tools/train.py parses them."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction, default={})
    return dict(parser.parse_args(['--o', *items]).o) if items else {}


def _checkpoint(args: argparse.Namespace):
    if args.backbone_checkpoint is None:
        return bm.DEFAULT
    if args.backbone_checkpoint.lower() == 'none':
        return None
    return args.backbone_checkpoint


def _check_demo_inputs(demo, path: str) -> List[str]:
    """Problems that would fail every demo run, found before the first."""
    problems = []
    ckpt = bm.swin_checkpoint_of(demo)
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


def _launcher(args: argparse.Namespace) -> bm.Launcher:
    common = dict(cfg_options=args.cfg_options)
    if args.launcher == 'dist':
        return bm.DistLauncher(args.gpus, **common)
    if args.launcher == 'slurm':
        return bm.SlurmLauncher(
            args.partition,
            gpus=args.gpus,
            gpus_per_node=args.gpus_per_node,
            cpus_per_task=args.cpus_per_task,
            srun_args=args.srun_args,
            max_jobs=args.max_jobs,
            port=args.port,
            **common)
    return bm.LAUNCHERS[args.launcher](**common)


def _efficiency_args(args: argparse.Namespace) -> Tuple[str, ...]:
    if args.efficiency_args is not None:
        return tuple(shlex.split(args.efficiency_args))
    key = 'quick' if args.quick else args.setting
    methods = () if args.quick else EFFICIENCY_METHODS
    return methods + EFFICIENCY_ARGS[key]


def _fit_budget(args: argparse.Namespace) -> int:
    with open(args.timings_from, encoding='utf-8') as f:
        calibration = json.load(f)
    runs = calibration['runs']
    costs = bm.run_costs(runs)
    extra = sum(
        r.get('wall_s') or 0.0 for r in runs if r.get('kind') == 'efficiency')
    extra += calibration.get('trivial_s') or 0.0
    seeds = len(args.seeds)
    iters = bm.fit_iterations(costs, args.fit_budget * 60, seeds, extra)
    total = bm.estimate_seconds(costs, iters, seeds, extra)
    print(f'--max-iters {iters}: about {total / 60:.1f} min for '
          f'{len(costs)} runs x {seeds} seed(s) (fixed costs and s/iter '
          f'from {args.timings_from}; budget {args.fit_budget:g} min)')
    for (method, task), cost in costs.items():
        name = bm.run_name(method, task)
        print(f'  {name:<28} {cost["sec_per_iter"]:.3f} s/iter + '
              f'{cost["fixed_s"]:.1f} s per run')
    return iters


def _estimate_hours(args: argparse.Namespace, runs: Sequence) -> List[str]:
    """The ``--estimate-hours`` table (one seed's runs)."""
    val = split_sizes(args.dataset)['val']
    rates = args.assume_tflops
    lines = [
        f'Expected hours per run on one GPU: an ESTIMATE from counted '
        f'FLOPs (mmvmt.benchmark.estimate), not a measurement; total batch '
        f'{args.gpus} GPUs x the config\'s batch, {val} val images.', '',
        '| run | forward GMAC / image (backbone) | backbone trains | '
        'train GFLOP / image | ' + ' | '.join(f'h at {r:g} TFLOP/s'
                                              for r in rates) + ' |',
        '|---|---:|---|---:|' + '---:|' * len(rates)
    ]
    totals, missing = [0.0] * len(rates), []
    for run in runs:
        if run.kind != 'train' or run.seed != args.seeds[0]:
            continue
        cfg = run.cfg
        iters = cfg.train_cfg.max_iters
        interval = cfg.train_cfg.get('val_interval', iters)
        images = iters * cfg.train_dataloader.batch_size * args.gpus
        evaluated = (iters // interval + 1) * val
        trains = bm.trains_of(**bm.config_counts(cfg))
        name = bm.run_name(run.method, run.task)
        try:
            total, backbone = bm.forward_gmacs(
                cfg,
                tuple(cfg.get('img_scale', (448, 448)))[::-1])
        except RuntimeError as err:
            missing.append(name)
            lines.append(f'| {name} | not traceable ({type(err).__name__}) '
                         f'| {trains} | — |' + ' — |' * len(rates))
            continue
        gflop = bm.run_gflop(total, backbone, trains, images, evaluated)
        hours = [bm.gpu_hours(gflop, r) for r in rates]
        totals = [t + h for t, h in zip(totals, hours)]
        lines.append(
            f'| {name} | {total:.1f} ({backbone:.1f}) | {trains} | '
            f'{bm.train_gflop_per_image(total, backbone, trains):.0f} | ' +
            ' | '.join(f'{h:.1f}' for h in hours) + ' |')
    lines.append('| all runs of one seed | | | | ' +
                 ' | '.join(f'{t:.0f}' for t in totals) + ' |')
    if missing:
        lines.append(f'(not counted: {", ".join(missing)})')
    return lines


#: The trivial predictors' row (mmvmt.evaluation.trivial_baselines).
TRIVIAL_LABEL = 'majority class / image-blind prior / all-zero (val)'


def _trivial(args: argparse.Namespace, demo) -> Tuple[dict, float]:
    """The trivial predictors' metrics (demo) and the seconds."""
    if args.setting != 'demo' or args.no_trivial:
        return {}, 0.0
    start = time.perf_counter()
    values = evaluate_trivial_baselines(demo)
    # The table's metrics are val metrics: the predictors' val scores only.
    row = {TRIVIAL_LABEL: values[f'{PREDICTOR}_val']}
    return row, time.perf_counter() - start


def _baseline(manifests: Sequence[dict], tasks: Sequence[str],
              out: str) -> Tuple[Optional[dict], str, str]:
    """make_baseline --mean over the finished single-task runs.

    Returns:
        tuple: The baseline (None if a task has no finished run), the
        equivalent make_baseline command and a note (why there is none).
    """
    finished = [
        m for m in manifests if m.get('method') == bm.SINGLE_TASK
        and bm.finished(m) and m.get('metrics_file')
    ]
    paths = [m['metrics_file'] for m in finished]
    configs = [m['source'] for m in finished]
    command = shlex.join([
        'python', 'tools/analysis_tools/make_baseline.py', *paths, '--mean',
        '--out', out, '--configs', *configs
    ])
    absent = [t for t in tasks if t not in {m['task'] for m in finished}]
    if absent:
        return None, command, (f'no finished single-task run of {absent}: '
                               'no delta_m')
    try:
        baseline, sources = bm.make_baseline(paths, configs=configs, mean=True)
    except (OSError, KeyError, ValueError) as err:
        return None, command, f'no delta_m: {err}'
    write_baseline_file(out, baseline, sources)
    return baseline, command, ''


def _published_points(args, rows: Sequence[dict]) -> Tuple[dict, list]:
    """Published values and their ``(label, params, delta_m)`` points, at
    the trainable backbone parameters of the method's row in this table
    (methods without a counted row are listed, not drawn)."""
    if args.published == 'none':
        return {}, []
    values = (
        bm.published_results(args.dataset)
        if args.published == 'default' else bm.read_published(args.published))
    by_name = {r['method']: r for r in rows}
    points = []
    for name, entry in values.items():
        row = by_name.get(name, {})
        if row.get('backbone_trainable') is not None:
            points.append(
                (row['label'], row['backbone_trainable'], entry['delta_m']))
    return values, points


def _efficiency_results(manifests: Sequence[dict]) -> Optional[dict]:
    for m in manifests:
        if m.get('kind') == 'efficiency' and bm.finished(m):
            with open(m['efficiency_json'], encoding='utf-8') as f:
                return json.load(f)
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run (or resume) the table, write it and its figures.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.

    Returns:
        int: 0 if every run finished and the table is complete; 1 if a run
        failed or is missing (each named on stderr with its log); 2 if
        nothing could be planned; 130 if interrupted.
    """
    args = parse_args(argv)
    if args.fit_budget is not None:
        try:
            _fit_budget(args)
        except (OSError, KeyError, ValueError) as err:
            print(f'paper_table: {err}', file=sys.stderr)
            return 2
        return 0
    demo_cfg = None
    try:
        methods = bm.select_methods(
            bm.methods_of(args.dataset, REPO, args.setting), args.methods,
            args.quick)
        if args.setting == 'demo':
            demo_path = osp.join(REPO, bm.demo_config_of(args.dataset))
            demo_cfg = bm.prepare_demo(demo_path, _checkpoint(args),
                                       args.data_root, args.num_workers,
                                       args.max_iters, args.val_images)
            problems = _check_demo_inputs(demo_cfg,
                                          osp.relpath(demo_path, REPO))
            if problems and not args.dry_run:
                raise ValueError('\n'.join(problems))
        runs = bm.plan_runs(methods, args.seeds, args.work_dir, REPO, demo_cfg,
                            args.cfg_dict)
        if not args.no_efficiency:
            runs.append(
                bm.plan_efficiency(_efficiency_args(args), args.work_dir))
        if args.estimate_hours:
            print('\n'.join(_estimate_hours(args, runs)))
            return 0
        launcher = _launcher(args)
        actions = bm.plan_actions(runs, args.rerun_failed, args.take_over)
    except (ValueError, FileNotFoundError) as err:
        print(f'paper_table: {err}', file=sys.stderr)
        return 2
    tasks = tuple(bm.BENCHMARKS[args.dataset].tasks)
    baseline_file = osp.join(args.work_dir, OUTPUTS['baseline'])
    if args.dry_run:
        print('\n'.join(bm.describe_actions(actions, launcher)))
        print('# then the delta_m baseline of the finished single-task '
              'runs (seed mean):')
        print(f'python tools/analysis_tools/make_baseline.py '
              f'{args.work_dir}/{bm.SINGLE_TASK}-*/seed*/test/metrics.json '
              f'--mean --out {baseline_file}')
        return 0
    os.makedirs(args.work_dir, exist_ok=True)
    try:
        manifests = bm.execute(
            actions,
            launcher,
            REPO,
            args.timing_warmup,
            args.log_level,
            progress=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print(
            'paper_table: interrupted; the same command resumes the '
            'unfinished runs',
            file=sys.stderr)
        return 130
    return _report(args, methods, tasks, manifests, demo_cfg, baseline_file)


def _report(args, methods, tasks, manifests, demo_cfg, baseline_file) -> int:
    """Baseline, table, figures, files; the exit code."""
    trains = [m for m in manifests if m.get('kind', 'train') == 'train']
    baseline, baseline_command, note = _baseline(trains, tasks, baseline_file)
    summary = bm.summarize(trains, methods, tasks, args.seeds, baseline)
    trivial, trivial_s = _trivial(args, demo_cfg)
    extra = bm.trivial_rows(trivial, tasks, baseline)
    published, points = _published_points(args, summary['rows'])
    scale = (f'{args.dataset} demo, {demo_cfg.train_cfg.max_iters} '
             'iterations per run'
             if demo_cfg is not None else f'{args.dataset} literature setting')
    title = f'{scale}, seeds {args.seeds}'
    table = bm.format_table(summary, tasks, extra)
    notes = bm.table_notes(summary, args.seeds, args.timing_warmup)
    if note:
        notes.append(note)
    if published:
        notes.append('Published (not ours, on the real benchmark): ' +
                     ', '.join(f'{k} Δm {v["delta_m"]:+.2f}'
                               for k, v in published.items()) + '.')
    separated = bm.format_separations(summary['rows'])
    files = dict(table=osp.join(args.work_dir, OUTPUTS['table']))
    params_plot = osp.join(args.work_dir, OUTPUTS['params_plot'])
    if bm.plot_delta_m_vs_params(summary['rows'], params_plot, title, points):
        files['params_plot'] = params_plot
    efficiency = _efficiency_results(manifests)
    if efficiency is not None:
        settings = efficiency.get('settings', {})
        time_plot = osp.join(args.work_dir, OUTPUTS['time_plot'])
        bm.plot_time_vs_tasks(
            efficiency['results'], time_plot,
            f'backbone time vs T (benchmark_methods.py, '
            f'{settings.get("device", "?")}, {settings.get("size", "?")}px, '
            f'batch {settings.get("batch", "?")})')
        files['time_plot'] = time_plot
    text = '\n'.join([f'{title}\n', table, ''] + notes + [''] + separated)
    with open(files['table'], 'w', encoding='utf-8') as f:
        f.write(text + '\n')
    print('\n' + text)
    failed = [m for m in manifests if not bm.finished(m)]
    with open(args.json, 'w', encoding='utf-8') as f:
        json.dump(
            dict(
                settings={
                    k: v
                    for k, v in vars(args).items() if k != 'cfg_dict'
                },
                tasks=tasks,
                runs=manifests,
                summary=summary,
                trivial=extra,
                trivial_s=trivial_s,
                published=published,
                separations=bm.separations(summary['rows']),
                baseline_command=baseline_command,
                efficiency=efficiency,
                files=files,
                failed=[(m['key'], m['status'], m.get('log'))
                        for m in failed]),
            f,
            indent=2,
            default=str)
    print(f'\nwritten: {", ".join(files.values())}, {args.json}')
    for m in failed:
        print(
            f'paper_table: {m["status"].upper()} {m["key"]}'
            f'{": " + m["error"] if m.get("error") else ""}'
            f'{" (log: " + m["log"] + ")" if m.get("log") else ""}',
            file=sys.stderr)
    return 1 if failed or baseline is None else 0


if __name__ == '__main__':
    sys.exit(main())
