"""Hand the segmentor's task list to its backbone and heads, and check them.

The keys of ``decode_heads`` are the model's task list (``docs/design.md``
section 2). A backbone that takes ``tasks`` gets that list; each head is
built for its key's task and checked to serve it. Every mismatch is an
error at build time.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS

from ...tasks import get_task
from ..mmseg_compat import config_class, takes_argument, uses_class_map_loss

__all__ = [
    'tasks_without_head', 'backbone_cfg_for_tasks', 'check_backbone_tasks',
    'head_cfg_for_task', 'check_task_head', 'build_task_head'
]


def _as_tuple(tasks) -> Tuple[str, ...]:
    return (tasks, ) if isinstance(tasks, str) else tuple(tasks)


def _mismatch(backbone: str, backbone_tasks: Sequence[str],
              tasks: Sequence[str]) -> str:
    """Message naming both task lists and what differs between them."""
    no_head = [t for t in backbone_tasks if t not in tasks]
    no_feats = [t for t in tasks if t not in backbone_tasks]
    details = []
    if no_head:
        details.append(f'backbone task(s) {no_head} have no decode head')
    if no_feats:
        details.append(f'decode head(s) of {no_feats} get no backbone '
                       'features')
    if not details:
        details.append('the order differs (it fixes the layout of the '
                       "backbone's per-task parameters)")
    return (f'MultiTaskEncoderDecoder: backbone {backbone} has tasks '
            f'{list(backbone_tasks)} but decode_heads has tasks '
            f'{list(tasks)}: ' + '; '.join(details) +
            ". Drop `tasks` from the backbone config: the segmentor passes "
            "the decode_heads keys")


def backbone_cfg_for_tasks(cfg: dict, tasks: Sequence[str]) -> dict:
    """Give a backbone that takes ``tasks`` the segmentor's task list.

    Args:
        cfg: Backbone config.
        tasks: The keys of ``decode_heads``, in order.

    Returns:
        dict: A copy of ``cfg``; with ``tasks`` set if the backbone class
        takes ``tasks`` and the config gives none (or None).

    Raises:
        ValueError: If the config gives ``tasks`` other than ``tasks``
            (other names, or the same in another order).
    """
    cfg = dict(cfg)
    cls = config_class(cfg)
    if cls is None or not takes_argument(cls, 'tasks'):
        return cfg
    if cfg.get('tasks') is None:
        cfg['tasks'] = tuple(tasks)
    elif _as_tuple(cfg['tasks']) != tuple(tasks):
        raise ValueError(
            _mismatch(cls.__name__, _as_tuple(cfg['tasks']), tasks))
    return cfg


def check_backbone_tasks(backbone: nn.Module, tasks: Sequence[str]) -> None:
    """Check the tasks a built backbone advertises (its ``tasks``).

    Backbones without a ``tasks`` attribute return one shared feature list
    and pass.

    Args:
        backbone: The built backbone.
        tasks: The keys of ``decode_heads``.

    Raises:
        ValueError: If the backbone serves a task without a head, or lacks
            a task that has one.
    """
    provided = getattr(backbone, 'tasks', None)
    if provided is None:
        return
    if set(_as_tuple(provided)) != set(tasks):
        raise ValueError(
            _mismatch(type(backbone).__name__, _as_tuple(provided), tasks))


def head_cfg_for_task(task: str, cfg: dict) -> dict:
    """The config of ``task``'s head, with ``task`` if the head takes it.

    Args:
        task: The head's key in ``decode_heads``.
        cfg: The head config.

    Returns:
        dict: A copy of ``cfg``.

    Raises:
        KeyError: If the head type is not registered.
    """
    cfg = dict(cfg)
    cls = config_class(cfg)
    if cls is None:
        raise KeyError(f'decode_heads[{task!r}]: unknown head type '
                       f'{cfg.get("type")!r} in the mmseg MODELS registry')
    if takes_argument(cls, 'task'):
        cfg.setdefault('task', task)
    return cfg


def check_task_head(task: str, head: nn.Module) -> None:
    """Check that a built head can serve ``task``.

    A head that names a task must name this one. For tasks that are not
    class maps the head must have its own loss path (mmseg's is
    cross-entropy on class ids) and the task table's output channels.

    Args:
        task: The head's key in ``decode_heads``.
        head: The built head.

    Raises:
        ValueError: If the head cannot serve the task.
    """
    spec = get_task(task)
    head_task = getattr(head, 'task', task)
    if head_task != task:
        raise ValueError(f'decode_heads[{task!r}] was configured for '
                         f'task {head_task!r}')
    if spec.is_class_map:
        return
    if uses_class_map_loss(type(head)):
        raise ValueError(
            f'decode_heads[{task!r}]: {type(head).__name__} uses '
            "mmseg's class-map loss path (cross-entropy, acc_seg); "
            f'{spec.kind!r} tasks need a task-aware head such as '
            'MultiScaleFusionHead')
    out_channels = getattr(head, 'out_channels', spec.channels)
    if out_channels != spec.channels:
        raise ValueError(f'decode_heads[{task!r}] outputs {out_channels} '
                         f'channels, task {task!r} needs {spec.channels}')


def build_task_head(task: str, cfg: dict) -> nn.Module:
    """Build the head of ``task`` and check that it serves the task.

    Args:
        task: The head's key in ``decode_heads``.
        cfg: The head config.

    Returns:
        nn.Module: The head.

    Raises:
        KeyError: On an unknown task or head type.
        ValueError: If the head cannot serve the task.
    """
    get_task(task)
    head = MODELS.build(head_cfg_for_task(task, cfg))
    check_task_head(task, head)
    return head


def tasks_without_head(data_samples: Sequence, tasks: Sequence[str]) -> list:
    """Tasks the dataset loads (sample metainfo ``tasks``) but no head has.

    Args:
        data_samples: The batch's data samples.
        tasks: The keys of ``decode_heads``.

    Returns:
        list[str]: Those tasks, in the dataset's order.
    """
    loaded = []
    for sample in data_samples:
        for task in _as_tuple(sample.metainfo.get('tasks') or ()):
            if task not in tasks and task not in loaded:
                loaded.append(task)
    return loaded
