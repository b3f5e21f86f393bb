"""The data's tasks and the model's heads must agree before the runner is
built (issue 17: a dataset task without a head failed at the first
evaluation batch, a head without data with a message about the baseline).
"""
import pytest
from mmengine.config import Config

import mmvmt  # noqa: F401  (registers the datasets)
from mmvmt.engine import TaskListError, check_config_tasks, dataset_cfg_tasks

HEADS = ('semseg', 'sal')


def _cfg(train_tasks, val_tasks=HEADS, heads=HEADS):
    ds = dict(type='PascalContextMTDataset', data_root='d')
    return Config(
        dict(
            model=dict(decode_heads={t: dict(type='H')
                                     for t in heads}),
            train_dataloader=dict(
                dataset=dict(
                    type='RepeatDataset',
                    times=2,
                    dataset=dict(ds, tasks=train_tasks))),
            val_dataloader=dict(dataset=dict(ds, tasks=val_tasks)),
            test_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[dict(ds, tasks=HEADS),
                              dict(ds)]))))


def test_matching_task_lists_pass():
    check_config_tasks(
        _cfg(('sal', 'semseg')), ('train_dataloader', 'val_dataloader'))
    # Not multi-task models or datasets: nothing to check.
    check_config_tasks(Config(dict(model=dict(decode_head=dict()))))
    check_config_tasks(
        Config(
            dict(
                model=dict(decode_heads=dict(semseg=dict())),
                train_dataloader=dict(dataset=dict(type='ADE20KDataset')))))


def test_a_dataset_task_without_a_head_is_an_error():
    with pytest.raises(TaskListError) as info:
        check_config_tasks(_cfg(('semseg', 'sal', 'edge')))
    msg = str(info.value)
    assert msg.startswith(
        'train_dataloader.dataset.dataset (PascalContextMTDataset) loads '
        "tasks ['semseg', 'sal', 'edge'] but model.decode_heads has heads "
        "for ['semseg', 'sal']: ['edge'] have no decode head")
    assert ("train_dataloader.dataset.dataset.tasks=['semseg', 'sal']" in msg)
    assert "model.decode_heads keys ['semseg', 'sal', 'edge']" in msg


def test_a_head_without_the_dataset_task_is_an_error():
    with pytest.raises(
            TaskListError,
            match=r"val_dataloader.dataset \(PascalContextMTDataset"
            r"\) loads tasks \['semseg'\] .* the heads of \['sal'\]"
            ' get no ground truth'):
        check_config_tasks(_cfg(HEADS, val_tasks=('semseg', )))
    # A dataset without `tasks` loads its DEFAULT_TASKS.
    with pytest.raises(
            TaskListError,
            match=r'test_dataloader.dataset.datasets\[1\] .* loads tasks '
            r"\['semseg', 'human_parts', 'sal', 'normals'\]"):
        check_config_tasks(_cfg(HEADS), ('test_dataloader', ))


def test_dataset_cfg_tasks():
    assert dataset_cfg_tasks(dict(type='NYUDv2MTDataset')) == ('semseg',
                                                               'depth',
                                                               'normals')
    assert dataset_cfg_tasks(dict(type='X', tasks='edge')) == ('edge', )
    assert dataset_cfg_tasks(dict(type='ADE20KDataset')) is None
