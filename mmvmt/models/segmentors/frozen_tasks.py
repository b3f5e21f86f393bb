"""Tasks that stay fixed while others train: adding tasks to a trained model.

``MultiTaskEncoderDecoder(frozen_tasks=...)`` trains only the other tasks'
own parameters (``docs/design.md`` section 3.1). This module holds the
pieces that know which state-dict entries belong to one task and which are
shared, for the segmentor, the checkpoint checks and the task packs
(:mod:`mmvmt.apis.task_packs`):

* a task's own entries: its decode head, plus what its backbone names as
  the task's (``backbone.task_state_keys(task)``: for
  ``VMTSwinTransformer`` the task norms and, for an added task, its
  extraction);
* shared entries: everything else (pretrained weights, adapters, the base
  tasks' extraction, a neck), which every task's features depend on.
"""
from typing import Dict, List, Mapping, Sequence, Set

import torch.nn as nn

from ..mmseg_compat import config_class, takes_argument

__all__ = [
    'backbone_cfg_for_frozen_tasks', 'check_shared_part_frozen',
    'freeze_module', 'task_state_keys', 'shared_state_keys',
    'starting_task_keys'
]


def backbone_cfg_for_frozen_tasks(cfg: dict,
                                  frozen_tasks: Sequence[str]) -> dict:
    """Give a backbone that takes ``frozen_tasks`` the segmentor's.

    Args:
        cfg: Backbone config.
        frozen_tasks: The segmentor's frozen tasks.

    Returns:
        dict: A copy of ``cfg``, with ``frozen_tasks`` if the backbone class
        takes it and the config gives none.

    Raises:
        ValueError: If the config gives other ``frozen_tasks``.
    """
    cfg = dict(cfg)
    if not frozen_tasks:
        return cfg
    cls = config_class(cfg)
    if cls is None or not takes_argument(cls, 'frozen_tasks'):
        return cfg
    given = cfg.get('frozen_tasks')
    if not given:
        cfg['frozen_tasks'] = tuple(frozen_tasks)
    elif tuple(given) != tuple(frozen_tasks):
        raise ValueError(
            f'MultiTaskEncoderDecoder: frozen_tasks {list(frozen_tasks)} '
            f'but backbone {cls.__name__} has frozen_tasks {list(given)}; '
            'drop frozen_tasks from the backbone config: the segmentor '
            'passes its own')
    return cfg


def check_shared_part_frozen(backbone: nn.Module,
                             frozen_tasks: Sequence[str]) -> None:
    """Refuse frozen tasks on a backbone whose shared part would train.

    A backbone that took ``frozen_tasks`` freezes its shared part itself.
    Any other backbone computes the features of every task with all of its
    parameters, so none of them may train.

    Args:
        backbone: The built backbone.
        frozen_tasks: The segmentor's frozen tasks.

    Raises:
        ValueError: If the backbone has trainable parameters and did not
            take ``frozen_tasks``.
    """
    if not frozen_tasks or tuple(getattr(backbone, 'frozen_tasks',
                                         ())) == tuple(frozen_tasks):
        return
    trainable = [n for n, p in backbone.named_parameters() if p.requires_grad]
    if trainable:
        raise ValueError(
            f'MultiTaskEncoderDecoder: frozen_tasks {list(frozen_tasks)} '
            f'needs a backbone whose training leaves the frozen tasks\' '
            f'features unchanged, but {type(backbone).__name__} trains '
            f'{len(trainable)} shared parameter tensor(s) (e.g. '
            f'{trainable[0]!r}). Use VMTSwinTransformer (it takes '
            'frozen_tasks) or a frozen backbone (decoder-only)')


def freeze_module(module: nn.Module) -> None:
    """``requires_grad=False`` for every parameter of ``module``."""
    for param in module.parameters():
        param.requires_grad = False


def task_state_keys(model: nn.Module, task: str) -> List[str]:
    """The segmentor's ``state_dict`` keys that belong to ``task`` alone.

    Args:
        model: A ``MultiTaskEncoderDecoder``.
        task: One of ``model.tasks``.

    Returns:
        list[str]: The task's decode head entries and the backbone's
        entries for the task (``backbone.task_state_keys``, if the
        backbone has per-task entries).

    Raises:
        KeyError: If ``task`` is not a task of ``model``.
    """
    if task not in model.tasks:
        raise KeyError(f'the model has no task {task!r}; tasks: '
                       f'{list(model.tasks)}')
    keys = []
    backbone_keys = getattr(model.backbone, 'task_state_keys', None)
    if backbone_keys is not None:
        keys += [f'backbone.{k}' for k in backbone_keys(task)]
    head = f'decode_heads.{task}.'
    keys += [k for k in model.state_dict() if k.startswith(head)]
    return keys


def shared_state_keys(model: nn.Module) -> List[str]:
    """The ``state_dict`` keys that no single task owns.

    Pretrained weights, adapters, the base tasks' extraction and a neck:
    the entries every task's features depend on.

    Args:
        model: A ``MultiTaskEncoderDecoder``.

    Returns:
        list[str]: Keys in state-dict order.
    """
    owned: Set[str] = set()
    for task in model.tasks:
        owned.update(task_state_keys(model, task))
    return [k for k in model.state_dict() if k not in owned]


def starting_task_keys(model: nn.Module,
                       state: Mapping[str, object]) -> Dict[str, List[str]]:
    """Trained tasks whose entries a checkpoint lacks altogether.

    When an initialised model with ``frozen_tasks`` loads the checkpoint of
    the model it extends (``load_from`` at the start of training), the
    tasks it adds are not in that checkpoint: they start from their
    initialisation (``init_weights``, then the backbone's defaults for
    absent entries). A model that was not initialised (testing,
    inference) gets nothing here, so such a checkpoint is refused there.

    Args:
        model: The (unwrapped) segmentor.
        state: The checkpoint's state dict.

    Returns:
        dict: Task -> its keys, for every trained (not frozen) task none of
        whose entries is in ``state``; empty unless ``model`` has frozen
        tasks and was initialised.
    """
    frozen = tuple(getattr(model, 'frozen_tasks', ()) or ())
    if not frozen or not getattr(model, '_is_init', False):
        return {}
    starting = {}
    for task in model.tasks:
        if task in frozen:
            continue
        keys = task_state_keys(model, task)
        if not any(k in state for k in keys):
            starting[task] = keys
    return starting
