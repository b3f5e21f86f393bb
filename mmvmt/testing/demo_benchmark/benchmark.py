"""Prepare the demo once, turn every method into it, run every seed.

The demo config is adjusted once (checkpoint, data root, workers, schedule
length, validation subset) and every method config is then transplanted
from it (:func:`..transplant.to_demo_config`), so a setting of the run is
never written twice.
"""
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.config import Config

from .methods import Method
from .runs import run_config, train_run
from .transplant import (LOADERS, find_swin, set_schedule, set_swin_checkpoint,
                         to_demo_config)

__all__ = [
    'DEFAULT', 'prepare_demo', 'swin_checkpoint_of', 'method_configs',
    'run_benchmark'
]

#: ``checkpoint`` of :func:`prepare_demo`: keep the demo config's.
DEFAULT = 'default'


def prepare_demo(path: str,
                 checkpoint: Union[None, str] = DEFAULT,
                 data_root: Optional[str] = None,
                 num_workers: Optional[int] = None,
                 max_iters: Optional[int] = None,
                 val_images: Optional[int] = None) -> Config:
    """Load the demo config with the run's adjustments.

    Args:
        path: The demo config file.
        checkpoint: :data:`DEFAULT` (the demo config's demo Swin weights),
            a Swin checkpoint path, or None (random init).
        data_root: Demo data root for every loader (None: the config's).
        num_workers: Data loader workers (0 also turns persistent workers
            off; None: the config's).
        max_iters: Schedule length (:func:`set_schedule`; None: the
            config's).
        val_images: Validate on the first N images only (None: all).

    Raises:
        ValueError: If ``max_iters`` or ``val_images`` is below 1.
    """
    cfg = Config.fromfile(path)
    if checkpoint != DEFAULT:
        set_swin_checkpoint(cfg, checkpoint)
    if data_root is not None:
        cfg.data_root = data_root
    for key in LOADERS:
        loader = cfg[key]
        if data_root is not None:
            loader.dataset.data_root = data_root
        if num_workers is not None:
            loader.num_workers = num_workers
            loader.persistent_workers = num_workers > 0
        if val_images is not None and key != 'train_dataloader':
            if val_images < 1:
                raise ValueError(f'val_images must be >= 1, got {val_images}')
            loader.dataset.indices = val_images
    if max_iters is not None:
        set_schedule(cfg, max_iters)
    return cfg


def swin_checkpoint_of(cfg: Config) -> Optional[str]:
    """The checkpoint of the config's Swin ``init_cfg`` (None if none)."""
    init = find_swin(cfg.model.backbone, cfg.filename).get('init_cfg')
    return None if not init else init.get('checkpoint')


def method_configs(method: Method, demo: Config, root: str) -> List[tuple]:
    """``(task, config)`` per run of ``method``, transplanted into the demo.

    The evaluator baseline is dropped: delta_m is computed after all runs
    against this run's single-task numbers (:mod:`.summary`).
    """
    return [(task,
             to_demo_config(
                 Config.fromfile(osp.join(root, path)), demo, baseline=None))
            for task, path in method.configs]


def run_benchmark(methods: Dict[str, Method],
                  demo: Config,
                  seeds: Sequence[int],
                  work_dir: str,
                  root: str,
                  warmup: int,
                  log_level: Optional[str] = None,
                  progress: Callable[[str], None] = print) -> List[dict]:
    """Train every run of every method for every seed, in table order.

    Args:
        methods: Name -> :class:`Method` (include the single-task one).
        demo: From :func:`prepare_demo`.
        seeds: Random seeds.
        work_dir: Runs go to ``<work_dir>/<method>[-<task>]/seed<seed>``.
        root: The repository root (config paths are relative to it).
        warmup: Iterations left out of the per-iteration time.
        log_level: The runners' log level (None: the config's).
        progress: Called with one line per finished run.

    Returns:
        list[dict]: One record per run (:func:`.runs.train_run` plus
        ``method``, ``task``, ``seed``, ``config``, ``work_dir``); failed
        runs have an ``error``.
    """
    jobs = []
    for name, method in methods.items():
        configs = method_configs(method, demo, root)
        for seed in seeds:
            for (task, cfg), (_, path) in zip(configs, method.configs):
                jobs.append((name, task, seed, path, cfg))
    stamp = time.strftime('%Y%m%d_%H%M%S')
    records = []
    for i, (name, task, seed, path, cfg) in enumerate(jobs, 1):
        run = name if task is None else f'{name}-{task}'
        out = osp.join(work_dir, run, f'seed{seed}')
        os.makedirs(out, exist_ok=True)
        cfg = run_config(cfg, seed, out,
                         f'demo_benchmark_{run}_seed{seed}_{stamp}_{i}',
                         log_level)
        record = dict(
            method=name, task=task, seed=seed, config=path, work_dir=out)
        record.update(train_run(cfg, warmup))
        records.append(record)
        if record['error'] is None:
            progress(f'[{i}/{len(jobs)}] {run} seed {seed}: '
                     f'{record["sec_per_iter"]:.3f} s/iter, '
                     f'{record["wall_s"]:.1f} s')
        else:
            last = record['error'].strip().splitlines()[-1]
            progress(f'[{i}/{len(jobs)}] {run} seed {seed}: FAILED ({last})')
    return records
