"""Train one demo run in this process and record what the table needs.

Each run is a fresh mmengine ``Runner`` in this process (as
``tools/train.py`` builds it). Runs are independent because each has its
own experiment name, visualiser name and work dir: mmengine keeps its
logger, message hub and visualiser per name, and the seed, the model, the
data loaders and the optimizer belong to the runner. The metrics and the
iteration times are read from the runner's message hub (the
``RuntimeInfoHook`` stores ``val/<key>`` for every metric, the
``IterTimerHook`` ``train/time`` for every iteration).
"""
import copy
import gc
import math
import statistics
import time
import traceback
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmvmt.tasks import TASKS
from .collect import backbone_counts

__all__ = [
    'run_config', 'median_after_warmup', 'read_metrics', 'release_workers',
    'train_run'
]


def run_config(cfg: Config,
               seed: int,
               work_dir: str,
               name: str,
               log_level: Optional[str] = None) -> Config:
    """The config of one (method, seed) run (a copy).

    Sets ``randomness=dict(seed=seed, deterministic=False)``, the work
    dir, a unique experiment and visualiser name, no checkpoint saving (the
    table needs none), no resuming and no launcher.
    """
    cfg = copy.deepcopy(cfg)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    if cfg.get('visualizer') is not None:
        cfg.visualizer.name = name
    cfg.default_hooks.checkpoint = None
    cfg.launcher = 'none'
    cfg.load_from = None
    cfg.resume = False
    if log_level is not None:
        cfg.log_level = log_level
    return cfg


def median_after_warmup(times: List[float], warmup: int) -> float:
    """Median of ``times[warmup:]`` (at least the last time is kept).

    Raises:
        ValueError: If ``times`` is empty.
    """
    if not times:
        raise ValueError('no iteration times recorded')
    skip = max(0, min(warmup, len(times) - 1))
    return float(statistics.median(times[skip:]))


def read_metrics(message_hub) -> Dict[str, float]:
    """``'<task>/<metric>' -> value`` of the last validation."""
    out = {}
    for key in message_hub.log_scalars:
        parts = key.split('/')
        if len(parts) == 3 and parts[0] == 'val' and parts[1] in TASKS:
            out[f'{parts[1]}/{parts[2]}'] = float(
                message_hub.get_scalar(key).current())
    return out


def release_workers(runner: Runner) -> None:
    """Stop the data loader worker processes of a finished run now.

    Left to the garbage collector, the persistent workers of a finished
    run each wait out torch's join timeout (about 20 s per run with the
    demo's two workers per loader, measured); stopped here, in reference
    order, they exit at once. Uses torch's private ``_shutdown_workers``
    where it exists and does nothing otherwise.
    """
    iterators = []
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, name, None)
        wrapped = getattr(loop, 'dataloader_iterator', None)  # train loop
        iterators.append(getattr(wrapped, '_iterator', None))
        loader = getattr(loop, 'dataloader', None)
        iterators.append(getattr(loader, '_iterator', None))
    for iterator in iterators:
        shutdown = getattr(iterator, '_shutdown_workers', None)
        if callable(shutdown):
            shutdown()


def train_run(cfg: Config, warmup: int) -> dict:
    """Train ``cfg`` (from :func:`run_config`) and validate at the end.

    Never raises on a failed run: the record's ``error`` holds the
    traceback instead, so the caller can finish the other runs.

    Returns:
        dict: ``metrics``, ``sec_per_iter``, ``iter_times``, ``iters``,
        ``backbone_trainable``, ``backbone_params``, ``wall_s`` and
        ``error`` (None on success).
    """
    start = time.perf_counter()
    record = dict(metrics={}, error=None)
    runner = None
    try:
        runner = Runner.from_cfg(cfg)
        record.update(backbone_counts(runner.model))
        runner.train()
        hub = runner.message_hub
        times = [float(t) for t in hub.get_scalar('train/time').data[0]]
        record.update(
            iter_times=times,
            iters=len(times),
            sec_per_iter=median_after_warmup(times, warmup),
            metrics=read_metrics(hub))
        if len(times) != cfg.train_cfg.max_iters:
            raise RuntimeError(f'{len(times)} iteration times recorded for '
                               f'{cfg.train_cfg.max_iters} iterations')
        if not record['metrics']:
            raise RuntimeError('the validation reported no task metric')
        bad = sorted(k for k, v in record['metrics'].items()
                     if not math.isfinite(v))
        if bad:
            raise RuntimeError(f'metrics are not finite: {bad}')
    except Exception:  # noqa: B902  (recorded, reported by the caller)
        record['error'] = traceback.format_exc()
    finally:
        if runner is not None:
            release_workers(runner)
        del runner
        gc.collect()
    record['wall_s'] = time.perf_counter() - start
    return record
