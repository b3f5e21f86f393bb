"""Run the planned runs through a launcher; resumable and inspectable.

Each run's state is its manifest (:mod:`.manifest`). A second invocation
decides per run (:func:`classify`):

==============  ===========================================================
``new``         no manifest: train, test, collect
``finished``    skipped (its numbers are reused)
``failed``      skipped and reported; ``rerun_failed`` restarts it from
                scratch (``rerun``), the old attempt moved to
                ``<work_dir>.attempt<N>``
``interrupted`` its invocation died: training resumes from its latest
                checkpoint (``tools/train.py --resume``), or only the test
                runs if training had finished; in-process runs restart
``busy``        another live invocation on this host runs it: skipped
``changed``     its fingerprint (config, seed, options) differs from the
                plan: nothing is launched until it is moved away
==============  ===========================================================

A failed step never stops the other runs: the manifest says ``failed``
with the error and the log to read.
"""
import os
import os.path as osp
import subprocess
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmvmt.fileio.metrics_file import write_metrics_file
from .collect import (METRICS_FILE, config_counts, find_checkpoint,
                      read_test_metrics, read_train_times)
from .inprocess import run_config, train_run
from .launchers import Command, Launcher, test_dir
from .manifest import now, owner, owner_alive, read_manifest, write_manifest
from .plan import Run, fingerprint, write_config

__all__ = [
    'ACTIONS', 'ChangedRunsError', 'classify', 'plan_actions',
    'describe_actions', 'execute'
]

#: What :func:`classify` can answer; the first three launch something.
ACTIONS = ('new', 'rerun', 'interrupted', 'finished', 'failed', 'busy',
           'changed')
#: The test step's checkpoint in ``--dry-run`` output.
CHECKPOINT_PLACEHOLDER = 'CHECKPOINT'
#: Parsing configs (``ast``: CPython 3.11's parser is not thread-safe,
#: "AST constructor recursion depth mismatch") and building models for
#: their parameter counts happen one thread at a time.
_PARSE_LOCK = threading.Lock()

#: Parameter counts per config (the seeds of a method share them).
_COUNTS: Dict[str, dict] = {}


def _counts(run: Run) -> dict:
    key = fingerprint(run.cfg.to_dict())
    if key not in _COUNTS:
        _COUNTS[key] = config_counts(run.cfg)
    return dict(_COUNTS[key])


class ChangedRunsError(ValueError):
    """Finished or failed runs whose settings differ from the plan."""


def classify(run: Run,
             manifest: Optional[dict],
             rerun_failed: bool = False,
             take_over: bool = False) -> str:
    """What to do with ``run`` (see the module docstring).

    Args:
        run: The planned run.
        manifest: Its manifest (None if none).
        rerun_failed: Restart failed runs.
        take_over: Treat runs owned by another live invocation (or
            another host) as interrupted.
    """
    if manifest is None:
        return 'new'
    if manifest.get('fingerprint') != run.fingerprint:
        return 'changed'
    status = manifest['status']
    if status == 'finished':
        return 'finished'
    if status == 'failed':
        return 'rerun' if rerun_failed else 'failed'
    if owner_alive(manifest) and not take_over:
        return 'busy'
    return 'interrupted'


def plan_actions(runs: Sequence[Run],
                 rerun_failed: bool = False,
                 take_over: bool = False) -> List[Tuple[Run, str]]:
    """``(run, action)`` per run.

    Raises:
        ChangedRunsError: If a run's fingerprint changed (the message names
            each run and its work dir).
    """
    actions = [(run,
                classify(run, read_manifest(run.work_dir), rerun_failed,
                         take_over)) for run in runs]
    changed = [run for run, action in actions if action == 'changed']
    if changed:
        raise ChangedRunsError(
            'these runs were made with other settings (config, seed or '
            '--cfg-options) than the ones planned now: ' +
            ', '.join(f'{r.key} ({r.work_dir})' for r in changed) +
            '; choose another --work-dir or move them away')
    return actions


def _train_command(run: Run, action: str, launcher: Launcher,
                   manifest: Optional[dict]) -> Optional[Command]:
    """The training command (None: training already finished)."""
    if action == 'interrupted' and manifest is not None and \
            (manifest.get('steps', {}).get('train') or {}).get('rc') == 0:
        return None
    resume = action == 'interrupted' and not launcher.in_process
    return launcher.train(run, resume=resume)


def describe_actions(actions: Sequence[Tuple[Run, str]],
                     launcher: Launcher) -> List[str]:
    """The ``--dry-run`` listing: every command each run would launch."""
    lines = []
    for run, action in actions:
        lines.append(f'# {run.key}: {action}')
        if action not in ACTIONS[:3]:
            continue
        if run.kind == 'efficiency':
            lines.append(launcher.efficiency(run).shell())
            continue
        manifest = read_manifest(run.work_dir)
        train = _train_command(run, action, launcher, manifest)
        if launcher.in_process:
            lines.append('# (in process; the equivalent command:)')
        if train is not None:
            lines.append(train.shell())
        if not launcher.in_process:
            lines.append(
                launcher.test(run, CHECKPOINT_PLACEHOLDER).shell() +
                f'  # {CHECKPOINT_PLACEHOLDER}: the {run.test_from} '
                f'checkpoint in {run.work_dir}')
    return lines


def _new_manifest(run: Run, launcher: Launcher, attempt: int) -> dict:
    return dict(
        key=run.key,
        kind=run.kind,
        method=run.method,
        task=run.task,
        seed=run.seed,
        source=run.source,
        config=run.config,
        work_dir=run.work_dir,
        fingerprint=run.fingerprint,
        launcher=launcher.name,
        status='running',
        attempt=attempt,
        steps={},
        metrics={},
        error=None,
        log=None)


def _move_aside(run: Run, manifest: dict) -> int:
    """Move a failed attempt to ``<work_dir>.attempt<N>``; the next N."""
    attempt = int(manifest.get('attempt', 1))
    target = f'{run.work_dir}.attempt{attempt}'
    while osp.exists(target):
        attempt += 1
        target = f'{run.work_dir}.attempt{attempt}'
    os.rename(run.work_dir, target)
    return attempt + 1


class _Job:
    """One run's steps, its manifest written at every change."""

    def __init__(self, run: Run, action: str, launcher: Launcher, root: str,
                 warmup: int, log_level: Optional[str],
                 stop: threading.Event) -> None:
        self.run, self.action, self.launcher = run, action, launcher
        self.root, self.warmup, self.log_level = root, warmup, log_level
        self.stop = stop
        old = read_manifest(run.work_dir)
        attempt = 1
        if action == 'rerun':
            attempt = _move_aside(run, old)
            old = None
        if action == 'interrupted' and old is not None:
            self.manifest = dict(old, status='running', error=None, log=None)
        else:
            self.manifest = _new_manifest(run, launcher, attempt)
        self.manifest.update(owner=owner(), launcher=launcher.name)
        self.old = old

    def save(self) -> None:
        write_manifest(self.run.work_dir, self.manifest)

    def fail(self, error: str, log: Optional[str]) -> dict:
        self.manifest.update(status='failed', error=error, log=log)
        self.save()
        return self.manifest

    def call(self, step: str, command: Command) -> Optional[int]:
        """Run one step; its return code (None if interrupted)."""
        log = osp.join(self.run.work_dir, f'{step}.log')
        entry = dict(
            command=command.shell(),
            log=log,
            rc=None,
            started=now(),
            resumed='--resume' in command.argv)
        self.manifest['steps'][step] = entry
        self.save()
        start = time.perf_counter()
        with open(log, 'a', encoding='utf-8') as f:
            f.write(f'# {now()}: {command.shell()}\n')
            f.flush()
            proc = subprocess.run(
                command.argv,
                cwd=self.root,
                env=command.environ(),
                stdout=f,
                stderr=subprocess.STDOUT)
        entry.update(
            rc=proc.returncode,
            ended=now(),
            wall_s=time.perf_counter() - start)
        if self.stop.is_set():
            self.save()
            return None
        self.save()
        return proc.returncode

    def __call__(self) -> dict:
        run = self.run
        os.makedirs(run.work_dir, exist_ok=True)
        if run.write_config:
            with _PARSE_LOCK:
                write_config(
                    run.cfg, run.config,
                    f'{run.key} of the table: {run.source} with the demo '
                    'settings\n(mmvmt.benchmark.to_demo_config; the seed is '
                    'set by the command).')
        if run.kind == 'efficiency':
            return self._efficiency()
        if self.launcher.in_process:
            return self._in_process()
        return self._launched()

    def _efficiency(self) -> dict:
        command = self.launcher.efficiency(self.run)
        self.manifest['command'] = command.shell()
        rc = self.call('efficiency', command)
        log = self.manifest['steps']['efficiency']['log']
        if rc is None:
            return self.manifest
        out = self.run.args[-1]
        if rc != 0 or not osp.isfile(out):
            return self.fail(
                f'benchmark_methods.py exited with {rc}'
                f'{"" if osp.isfile(out) else f"; no {out}"}', log)
        self.manifest.update(status='finished', efficiency_json=out)
        self.save()
        return self.manifest

    def _in_process(self) -> dict:
        run = self.run
        command = self.launcher.train(run)
        self.manifest.update(command=command.shell())
        self.manifest['steps']['train'] = dict(
            command=command.shell() + '  # run in process',
            started=now(),
            resumed=False)
        self.save()
        name = f'paper_table_{run.key.replace("/", "_")}_{os.getpid()}'
        record = train_run(
            run_config(run.cfg, run.seed, run.work_dir, name, self.log_level),
            self.warmup)
        self.manifest['steps']['train'].update(
            ended=now(), wall_s=record['wall_s'])
        if record['error'] is not None:
            log = osp.join(run.work_dir, 'error.log')
            with open(log, 'w', encoding='utf-8') as f:
                f.write(record['error'])
            return self.fail(record['error'].strip().splitlines()[-1], log)
        out = test_dir(run)
        os.makedirs(out, exist_ok=True)
        write_metrics_file(osp.join(out, METRICS_FILE), record['metrics'])
        self.manifest.update(
            status='finished',
            metrics=record['metrics'],
            metrics_file=osp.join(out, METRICS_FILE),
            checkpoint=(f'final weights at iteration {record["iters"]}, '
                        'validated in process (not saved)'),
            sec_per_iter=record['sec_per_iter'],
            iters=record['iters'],
            wall_s=record['wall_s'],
            backbone_trainable=record['backbone_trainable'],
            backbone_params=record['backbone_params'])
        self.save()
        return self.manifest

    def _launched(self) -> dict:
        run, launcher = self.run, self.launcher
        train = _train_command(run, self.action, launcher, self.old)
        if train is not None:
            self.manifest['command'] = train.shell()
            rc = self.call('train', train)
            if rc is None:
                return self.manifest
            if rc != 0:
                return self.fail(f'training exited with {rc}',
                                 self.manifest['steps']['train']['log'])
        train_log = self.manifest['steps']['train']['log']
        try:
            checkpoint = find_checkpoint(run.work_dir, run.test_from)
        except (OSError, ValueError) as err:
            return self.fail(str(err), train_log)
        self.manifest['checkpoint'] = checkpoint
        rc = self.call('test', launcher.test(run, checkpoint))
        test_log = self.manifest['steps']['test']['log']
        if rc is None:
            return self.manifest
        if rc != 0:
            return self.fail(f'test exited with {rc}', test_log)
        try:
            metrics = read_test_metrics(test_dir(run))
            with _PARSE_LOCK:
                counts = _counts(run)
        except Exception as err:  # noqa: B902  (recorded, reported)
            return self.fail(f'{type(err).__name__}: {err}', test_log)
        times = read_train_times(run.work_dir, self.warmup)
        wall = sum(
            s.get('wall_s', 0.0) for s in self.manifest['steps'].values())
        self.manifest.update(
            status='finished',
            metrics=metrics,
            metrics_file=osp.join(test_dir(run), METRICS_FILE),
            wall_s=wall,
            **times,
            **counts)
        self.save()
        return self.manifest


def execute(actions: Sequence[Tuple[Run, str]],
            launcher: Launcher,
            root: str,
            warmup: int = 5,
            log_level: Optional[str] = None,
            progress: Callable[[str], None] = print) -> List[dict]:
    """Launch what :func:`plan_actions` says, collect, return manifests.

    Args:
        actions: From :func:`plan_actions`.
        launcher: Where the runs go.
        root: The repository root (the commands' working directory).
        warmup: Iterations left out of the time per iteration.
        log_level: The in-process runners' log level (None: the config's).
        progress: Called with one line per run as it ends.

    Returns:
        list[dict]: Every run's manifest, in plan order (skipped runs as
        found on disk; a run left without one says so).
    """
    stop = threading.Event()
    results: Dict[str, dict] = {}
    todo = [(run, action) for run, action in actions if action in ACTIONS[:3]]
    total = len(todo)
    done = [0]

    def report(manifest: dict) -> None:
        done[0] += 1
        state = manifest['status']
        if state == 'failed':
            state = f'FAILED: {manifest["error"]} (log: {manifest["log"]})'
        elif state == 'finished' and manifest.get('sec_per_iter'):
            state = (f'{manifest["sec_per_iter"]:.3f} s/iter, '
                     f'{manifest.get("wall_s") or 0.0:.1f} s')
        progress(f'[{done[0]}/{total}] {manifest["key"]}: {state}')

    def job(run: Run, action: str) -> dict:
        try:
            return _Job(run, action, launcher, root, warmup, log_level, stop)()
        except Exception:  # noqa: B902  (a runner bug must not stop others)
            manifest = read_manifest(run.work_dir) or _new_manifest(
                run, launcher, 1)
            manifest.update(
                status='failed',
                error=traceback.format_exc().strip().splitlines()[-1],
                log=None)
            write_manifest(run.work_dir, manifest)
            return manifest

    if launcher.parallel <= 1 or launcher.in_process:
        for run, action in todo:
            results[run.key] = job(run, action)
            report(results[run.key])
    else:
        pool = ThreadPoolExecutor(max_workers=launcher.parallel)
        futures = {pool.submit(job, run, a): run for run, a in todo}
        try:
            for future in as_completed(futures):
                results[futures[future].key] = future.result()
                report(results[futures[future].key])
        except KeyboardInterrupt:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    out = []
    for run, _ in actions:
        manifest = results.get(run.key) or read_manifest(run.work_dir)
        out.append(
            manifest or dict(
                key=run.key,
                kind=run.kind,
                method=run.method,
                task=run.task,
                seed=run.seed,
                status='not run',
                error=None,
                log=None))
    return out
