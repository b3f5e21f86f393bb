"""Plan a table's runs: one :class:`Run` per (method, task, seed).

The demo setting adjusts the demo config once (checkpoint, data root,
workers, schedule length, validation subset) and transplants every method
config from it (:func:`..transplant.to_demo_config`), so a setting of the
run is never written twice; each run's config is then written into its
work dir, where every launcher reads it. The literature setting runs the
repository's literature configs as they are.

Each run carries a fingerprint of everything that decides its numbers
(the resolved config, the seed, the ``--cfg-options``), not of how it is
launched: a later invocation reuses a finished run only if its fingerprint
is the same (:mod:`.execute`).
"""
import copy
import hashlib
import json
import os.path as osp
import pprint
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from .methods import Method
from .transplant import (LOADERS, find_swin, set_schedule, set_swin_checkpoint,
                         to_demo_config)

__all__ = [
    'DEFAULT', 'Run', 'prepare_demo', 'swin_checkpoint_of', 'run_name',
    'fingerprint', 'write_config', 'plan_runs', 'plan_efficiency'
]

#: ``checkpoint`` of :func:`prepare_demo`: keep the demo config's.
DEFAULT = 'default'
#: File name of a demo run's config inside its work dir.
CONFIG_NAME = 'config.py'


class Run(NamedTuple):
    """One run of the table.

    Attributes:
        key: Unique name, also the work dir below the table's work dir
            (``<method>[-<task>]/seed<seed>``, or ``efficiency``).
        kind: ``'train'`` (train, then test) or ``'efficiency'`` (one
            ``benchmark_methods.py`` call).
        method: The row (None for the efficiency run).
        task: The task of a single-task run, else None.
        seed: The random seed (None for the efficiency run).
        source: The repository config the run comes from (relative).
        config: The config file the commands use (demo: absolute, in the
            work dir; literature: ``source``, relative to the repository
            root, where every command runs).
        work_dir: The run's work dir (absolute).
        cfg: The run's config (None for the efficiency run).
        write_config: Whether ``cfg`` is written to ``config`` before the
            run (demo; the literature runs use ``source`` as it is).
        fingerprint: See the module docstring.
        test_from: ``'best'`` (the best checkpoint the config's
            ``save_best`` kept) or ``'last'`` (the final one).
        args: The efficiency run's ``benchmark_methods.py`` arguments.
    """

    key: str
    kind: str
    method: Optional[str]
    task: Optional[str]
    seed: Optional[int]
    source: str
    config: str
    work_dir: str
    cfg: Optional[Config]
    fingerprint: str
    write_config: bool = False
    test_from: str = 'best'
    args: Tuple[str, ...] = ()


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
    # One checkpoint, at the end; the demo runs validate without delta_m
    # (their baseline is the table's own), so there is no best to keep.
    hook = cfg.default_hooks.get('checkpoint')
    if hook is not None:
        hook.update(
            interval=cfg.train_cfg.max_iters, save_best=None, rule=None)
    return cfg


def swin_checkpoint_of(cfg: Config) -> Optional[str]:
    """The checkpoint of the config's Swin ``init_cfg`` (None if none)."""
    init = find_swin(cfg.model.backbone, cfg.filename).get('init_cfg')
    return None if not init else init.get('checkpoint')


def run_name(method: str, task: Optional[str]) -> str:
    """``<method>`` or, for a single-task run, ``<method>-<task>``."""
    return method if task is None else f'{method}-{task}'


def fingerprint(*parts) -> str:
    """SHA-256 (hex, 16 digits) of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def write_config(cfg: Config, path: str, header: str = '') -> None:
    """Write ``cfg`` as a Python config that loads back to the same dict.

    One ``key = <pprint of the value>`` per top-level key: the values of a
    resolved config are plain literals, and this takes milliseconds where
    ``Config.dump`` (yapf) takes about a second per config on the 2-core
    machine. Falls back to ``Config.dump`` if the text does not load back
    to the same dict.

    Args:
        cfg: The config.
        path: The ``.py`` file to write.
        header: Comment lines for the top of the file.
    """
    data = cfg.to_dict()
    text = ''.join(f'# {line}\n' for line in header.splitlines())
    text += ''.join(f'{key} = {pprint.pformat(value, sort_dicts=False)}\n'
                    for key, value in data.items())
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    if Config.fromfile(path).to_dict() != data:
        cfg.dump(path)


def _demo_cfg(method: Method, path: str, demo: Config, root: str) -> Config:
    """The method's config in the demo (no delta_m inside the run)."""
    return to_demo_config(
        Config.fromfile(osp.join(root, path)),
        demo,
        baseline=None,
        model=method.transplant)


def plan_runs(methods: Dict[str, Method],
              seeds: Sequence[int],
              work_dir: str,
              root: str,
              demo: Optional[Config] = None,
              cfg_options: Optional[dict] = None) -> List[Run]:
    """Every run of every method and seed, in table order (seed-major).

    Args:
        methods: Name -> :class:`Method` (include the single-task one).
        seeds: Random seeds.
        work_dir: The table's work dir (absolute).
        root: The repository root (config paths are relative to it).
        demo: From :func:`prepare_demo` for the demo setting; None for the
            literature setting.
        cfg_options: ``--cfg-options`` of every run, merged into each
            run's config (the launchers also pass them on).

    Returns:
        list[Run]: The runs, seed by seed so an interrupted table has whole
        seeds first.
    """
    options = dict(cfg_options or {})
    configs: Dict[Tuple[str, Optional[str]], Tuple[str, Config]] = {}
    for name, method in methods.items():
        for task, path in method.configs:
            if demo is not None:
                cfg = _demo_cfg(method, path, demo, root)
            else:
                cfg = Config.fromfile(osp.join(root, path))
            if options:
                cfg.merge_from_dict(options)
            configs[(name, task)] = (path, cfg)
    runs = []
    for seed in seeds:
        for (name, task), (path, cfg) in configs.items():
            key = f'{run_name(name, task)}/seed{seed}'
            out = osp.join(work_dir, *key.split('/'))
            config = osp.join(out, CONFIG_NAME) if demo is not None else path
            runs.append(
                Run(key=key,
                    kind='train',
                    method=name,
                    task=task,
                    seed=seed,
                    source=path,
                    config=config,
                    work_dir=out,
                    cfg=copy.deepcopy(cfg),
                    fingerprint=fingerprint(cfg.to_dict(), seed, options),
                    write_config=demo is not None,
                    test_from='last' if demo is not None else 'best'))
    return runs


def plan_efficiency(args: Sequence[str], work_dir: str) -> Run:
    """The ``benchmark_methods.py`` run of the time-vs-T figure.

    Args:
        args: Its arguments (methods, ``--tasks``, ``--size`` ...); the
            planner adds ``--json``.
        work_dir: The table's work dir (absolute).
    """
    out = osp.join(work_dir, 'efficiency')
    full = tuple(args) + ('--json', osp.join(out, 'efficiency.json'))
    return Run(
        key='efficiency',
        kind='efficiency',
        method=None,
        task=None,
        seed=None,
        source='tools/analysis_tools/benchmark_methods.py',
        config='',
        work_dir=out,
        cfg=None,
        fingerprint=fingerprint(list(args)),
        args=full)
