"""Turn any method's full config into its CPU-scale demo config.

The demo is defined once, by a demo config (``configs/vmt/
swin-t_pascal_demo.py``: the VMT config with the demo settings).
:func:`to_demo_config` moves those settings into another method's full
config, so every method of the demo table (``tools/analysis_tools/
paper_table.py --setting demo``) trains on exactly the demo's backbone, data
and schedule, and
``to_demo_config(swin-t_pascal.py, demo) == demo`` (a test) keeps the
hand-written demo configs and the benchmark from drifting apart.

What moves (everything else stays the method's):

* data: the loaders (pipelines, data root, batch sizes, workers, the demo
  classes' ``metainfo``) with the method's own task list, and the data
  variables of :data:`DATA_VARS`;
* runtime: the keys of :data:`RUNTIME_KEYS` (the demo_cpu schedule,
  optimizer, default hooks, env, seed);
* variables only the demo config defines (the demo Swin's and the demo
  classes), so the result reads like the demo;
* the demo Swin: the keys of the demo's ``demo_swin_arch`` and its
  ``init_cfg``, into wherever the method keeps its Swin (:func:`find_swin`);
* the heads: the keys of :data:`DEMO_HEAD_KEYS` of the demo's head of the
  same task (the demo Swin's widths, the demo width, the demo classes and
  the class-balanced loss of the class tasks);
* the evaluator baseline: kept, dropped or replaced (``baseline``).

A config that is a demo config already (the CNN reference, which brings
its own backbone) takes only the data and runtime (``model=False``): the
run's adjustments of the demo (data root, schedule, ...) then reach it too.
"""
import copy
from typing import Any, Dict, Mapping, Optional, Union

from mmengine.config import Config

__all__ = [
    'DATA_VARS', 'RUNTIME_KEYS', 'LOADERS', 'EVALUATORS', 'DEMO_HEAD_KEYS',
    'KEEP', 'find_swin', 'to_demo_config', 'set_swin_checkpoint',
    'set_schedule'
]

#: Data variables of the demo dataset base that replace the method's.
DATA_VARS = ('data_root', 'img_scale', 'crop_size', 'train_pipeline',
             'test_pipeline', 'dataset')
#: Runtime keys the demo's runtime (``configs/_base_/demo_cpu.py``) sets.
RUNTIME_KEYS = ('env_cfg', 'train_cfg', 'val_cfg', 'test_cfg', 'optim_wrapper',
                'param_scheduler', 'default_hooks', 'log_processor',
                'randomness', 'warmup_iters', 'max_iters')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')
#: The demo config's variable naming the demo Swin's architecture keys.
ARCH_VAR = 'demo_swin_arch'


class _Keep:
    """Sentinel: keep the method's evaluator baseline."""

    def __repr__(self) -> str:
        return 'KEEP'


KEEP = _Keep()

#: Head keys the demo recipe sets: widths, classes and the demo's loss
#: (class-balanced cross-entropy with the demo set's class counts).
DEMO_HEAD_KEYS = ('in_channels', 'channels', 'num_classes', 'loss_decode')


def _name(cfg: Config) -> str:
    return getattr(cfg, 'filename', None) or '<config>'


def find_swin(backbone: Dict[str, Any], where: str = 'config') -> dict:
    """The Swin dict of a backbone config (the dict itself, not a copy).

    A Swin is the first dict with ``embed_dims`` and ``depths``:
    ``model.backbone`` itself (VMT, a stock SwinTransformer) or, for a
    wrapper such as ``PEFTBackbone``, its ``backbone`` (searched
    recursively).

    Args:
        backbone: ``model.backbone`` of a config.
        where: Name of the config, for the error message.

    Raises:
        ValueError: If there is no such dict.
    """
    node = backbone
    while isinstance(node, Mapping):
        if 'embed_dims' in node and 'depths' in node:
            return node
        node = node.get('backbone')
    raise ValueError(f'{where}: model.backbone has no Swin dict (a dict '
                     'with embed_dims and depths, itself or under '
                     f'"backbone"); got type {backbone.get("type")!r}')


def _tasks_into(loader: dict, tasks: Any) -> None:
    if tasks is None:
        loader['dataset'].pop('tasks', None)
    else:
        loader['dataset']['tasks'] = copy.deepcopy(tasks)


def _set_baseline(cfg: dict, baseline: Any) -> None:
    for key in EVALUATORS:
        evaluators = cfg.get(key)
        if evaluators is None:
            continue
        for evaluator in (evaluators
                          if isinstance(evaluators, list) else [evaluators]):
            if baseline is None:
                evaluator.pop('baseline', None)
            else:
                evaluator['baseline'] = copy.deepcopy(baseline)


def to_demo_config(method_cfg: Config,
                   demo_cfg: Config,
                   baseline: Union[None, Mapping, str, _Keep] = KEEP,
                   model: bool = True) -> Config:
    """The method's config with the demo settings of ``demo_cfg``.

    See the module docstring for what moves. Neither input is changed.

    Args:
        method_cfg: A method's full config (e.g. a ``configs/baselines``
            PASCAL-Context config).
        demo_cfg: The demo config of the same benchmark (it inherits
            ``configs/_base_/models/swin-demo.py``).
        baseline: :data:`KEEP` the method's evaluator baseline, None to
            drop it (no delta_m in the run), or a new one (task -> value,
            or a baseline file path) for every evaluator.
        model: Move the demo Swin and head widths too (False: keep the
            method's model as it is, for a config that has no Swin).

    Returns:
        Config: A new config.

    Raises:
        ValueError: If the demo config lacks ``demo_swin_arch``, either
            config has no Swin, the data sets' types differ, or the method
            has a head for a task the demo has no head for. Messages name
            the config files and keys.
    """
    method, demo = method_cfg.to_dict(), demo_cfg.to_dict()
    mname, dname = _name(method_cfg), _name(demo_cfg)
    if ARCH_VAR not in demo:
        raise ValueError(f'demo config {dname} has no {ARCH_VAR!r}: it must '
                         'inherit configs/_base_/models/swin-demo.py')
    out = copy.deepcopy(method)
    for key, value in demo.items():
        if key not in method:  # demo-only variables
            out[key] = copy.deepcopy(value)
    for key in DATA_VARS + RUNTIME_KEYS:
        if key in demo:
            out[key] = copy.deepcopy(demo[key])
    if 'dataset' in demo and 'tasks' in method.get('dataset', {}):
        out['dataset']['tasks'] = copy.deepcopy(method['dataset']['tasks'])
    for key in LOADERS:
        if key not in demo:
            continue
        if key not in method:
            raise ValueError(f'{mname}: no {key} to take the demo data')
        own, theirs = method[key]['dataset'], demo[key]['dataset']
        if own.get('type') != theirs.get('type'):
            raise ValueError(
                f'{mname}: {key}.dataset.type is {own.get("type")!r} but '
                f'the demo config {dname} trains on {theirs.get("type")!r};'
                ' pick the demo config of the same benchmark')
        out[key] = copy.deepcopy(demo[key])
        _tasks_into(out[key], own.get('tasks'))
    if model:
        _transplant_model(out['model'], demo['model'], demo[ARCH_VAR], mname,
                          dname)
    if baseline is not KEEP:
        _set_baseline(out, baseline)
    return Config(out, filename=method_cfg.filename)


def _transplant_model(model: dict, demo_model: dict, arch: Mapping, mname: str,
                      dname: str) -> None:
    """The demo Swin's arch + init_cfg and the heads' demo keys, in place."""
    demo_swin = find_swin(demo_model['backbone'], dname)
    swin = find_swin(model['backbone'], mname)
    for key in arch:
        swin[key] = copy.deepcopy(demo_swin[key])
    swin['init_cfg'] = copy.deepcopy(demo_swin.get('init_cfg'))
    demo_heads = demo_model['decode_heads']
    for task, head in model['decode_heads'].items():
        if task not in demo_heads:
            raise ValueError(f'{mname}: model.decode_heads.{task} has no '
                             f'counterpart in the demo config {dname} '
                             f'(heads {sorted(demo_heads)})')
        for key in DEMO_HEAD_KEYS:
            if key in demo_heads[task]:
                head[key] = copy.deepcopy(demo_heads[task][key])


def set_swin_checkpoint(cfg: Config, checkpoint: Optional[str]) -> None:
    """Point the config's Swin at ``checkpoint`` (None: random init).

    Args:
        cfg: A config (changed in place).
        checkpoint: A Swin checkpoint (mmseg ``SwinTransformer`` keys) or
            None for ``init_cfg=None``.
    """
    swin = find_swin(cfg.model.backbone, _name(cfg))
    swin['init_cfg'] = (None if checkpoint is None else dict(
        type='Pretrained', checkpoint=checkpoint))


def set_schedule(cfg: Config, max_iters: int) -> None:
    """Shrink or stretch the iteration schedule to ``max_iters``, in place.

    ``train_cfg.max_iters`` and ``val_interval`` (one validation, at the
    end) become ``max_iters``; every scheduler's ``begin``/``end`` is
    scaled by the same factor (``end`` at least ``begin + 1``), and the
    ``max_iters``/``warmup_iters`` variables follow.

    Raises:
        ValueError: If ``max_iters < 1`` or the config has no
            ``train_cfg.max_iters``.
    """
    if max_iters < 1:
        raise ValueError(f'max_iters must be >= 1, got {max_iters}')
    old = cfg.get('train_cfg', {}).get('max_iters')
    if not old:
        raise ValueError(f'{_name(cfg)}: train_cfg.max_iters is not set')
    factor = max_iters / old
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    schedulers = cfg.get('param_scheduler') or []
    for scheduler in (schedulers
                      if isinstance(schedulers, list) else [schedulers]):
        begin = int(round(scheduler.get('begin', 0) * factor))
        scheduler['begin'] = begin
        if 'end' in scheduler:
            scheduler['end'] = max(begin + 1,
                                   int(round(scheduler['end'] * factor)))
    for key in ('max_iters', 'warmup_iters'):
        if key in cfg:
            cfg[key] = max(1, int(round(cfg[key] * factor)))
