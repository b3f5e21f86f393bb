"""Check, before the runner is built, that the data and the heads agree.

The keys of ``model.decode_heads`` say what is trained and predicted; each
dataset's ``tasks`` say what is loaded and evaluated (``docs/design.md``
section 2). A dataset task without a head would be neither trained nor
predicted, and the metric would fail at the first evaluation batch; a head
without the dataset's task has no ground truth to train on, and the metric
refuses baselines of tasks it does not evaluate. Both are reported here,
from the config, before anything is built.
"""
from typing import Iterator, Optional, Sequence, Tuple

from mmengine.config import Config
from mmseg.registry import DATASETS

from ..tasks import check_tasks

__all__ = ['TaskListError', 'check_config_tasks', 'dataset_cfg_tasks']

#: The data loaders whose datasets are checked by default.
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class TaskListError(ValueError):
    """A dataset's tasks and the model's decode heads differ."""


def dataset_cfg_tasks(cfg: dict) -> Optional[Tuple[str, ...]]:
    """The tasks a multi-task dataset config loads.

    Args:
        cfg: A dataset config (no wrapper).

    Returns:
        tuple | None: ``cfg['tasks']``, else the class's ``DEFAULT_TASKS``;
        None for a dataset class that declares no tasks.
    """
    if cfg.get('tasks') is not None:
        return check_tasks(cfg['tasks'], owner=str(cfg.get('type')))
    cls = cfg.get('type')
    if isinstance(cls, str):
        cls = DATASETS.get(cls)
    return tuple(getattr(cls, 'DEFAULT_TASKS', ())) or None


def _leaf_datasets(cfg: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """``(where, config)`` of every dataset inside wrappers (Repeat, Concat,
    ClassBalanced ...)."""
    if isinstance(cfg.get('dataset'), dict):
        yield from _leaf_datasets(cfg['dataset'], f'{where}.dataset')
    elif isinstance(cfg.get('datasets'), (list, tuple)):
        for i, sub in enumerate(cfg['datasets']):
            yield from _leaf_datasets(sub, f'{where}.datasets[{i}]')
    else:
        yield where, cfg


def check_config_tasks(cfg: Config, loaders: Sequence[str] = LOADERS) -> None:
    """Each data loader's dataset loads exactly the tasks that have heads.

    Configs without ``model.decode_heads`` (single-task mmseg models),
    absent loaders and datasets that declare no tasks are not checked.

    Args:
        cfg: The full config.
        loaders: Names of the data loaders to check (``tools/train.py``:
            train and val; ``tools/test.py``: test).

    Raises:
        TaskListError: Naming the data loader, both task lists, what
            differs and the two ways to fix it.
    """
    heads = (cfg.get('model', None) or {}).get('decode_heads')
    if not isinstance(heads, dict):
        return
    model_tasks = tuple(heads)
    for loader in loaders:
        loader_cfg = cfg.get(loader, None)
        if not loader_cfg or not isinstance(loader_cfg.get('dataset'), dict):
            continue
        for where, ds_cfg in _leaf_datasets(loader_cfg['dataset'],
                                            f'{loader}.dataset'):
            tasks = dataset_cfg_tasks(ds_cfg)
            if tasks is None or set(tasks) == set(model_tasks):
                continue
            no_head = [t for t in tasks if t not in model_tasks]
            no_data = [t for t in model_tasks if t not in tasks]
            problems = []
            if no_head:
                problems.append(
                    f'{no_head} have no decode head (they would be neither '
                    'trained nor predicted, and evaluating them fails)')
            if no_data:
                problems.append(
                    f'the heads of {no_data} get no ground truth from this '
                    'dataset (nothing to train them on or evaluate them '
                    'with)')
            raise TaskListError(
                f'{where} ({ds_cfg.get("type")}) loads tasks {list(tasks)} '
                f'but model.decode_heads has heads for {list(model_tasks)}: ' +
                '; '.join(problems) + '. Fix: give every dataset the '
                f'tasks of the heads ({where}.tasks={list(model_tasks)}), '
                'or add/remove decode heads to match the dataset '
                f'(model.decode_heads keys {list(tasks)})')
