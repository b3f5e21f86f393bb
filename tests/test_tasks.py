"""The task table: look-up, task-list validation, head channels, finalize.

``TaskSpec.valid_mask`` is tested with the datasets (tests/test_datasets).
"""
import math
import re

import pytest
import torch

from mmvmt.tasks import (BINARY, CLASS, DEPTH, NORMALS, TASKS, check_tasks,
                         get_task)

PASCAL = ('semseg', 'human_parts', 'sal', 'normals')
NYUD = ('semseg', 'depth', 'normals', 'edge')


def test_get_task_returns_the_table_entry():
    for name, spec in TASKS.items():
        assert get_task(name) is spec
        assert spec.name == name
        assert (spec.gt_key, spec.pred_key,
                spec.path_key) == (f'gt_{name}', f'pred_{name}',
                                   f'{name}_path')


def test_get_task_unknown_name_lists_the_known_tasks():
    known = "['depth', 'edge', 'human_parts', 'normals', 'sal', 'semseg']"
    with pytest.raises(
            KeyError,
            match=re.escape(f"unknown task 'semantic'; known "
                            f'tasks: {known}')):
        get_task('semantic')


def test_kinds():
    kinds = {name: spec.kind for name, spec in TASKS.items()}
    assert kinds == dict(
        semseg=CLASS,
        human_parts=CLASS,
        sal=BINARY,
        edge=BINARY,
        normals=NORMALS,
        depth=DEPTH)
    assert [n for n, s in TASKS.items()
            if s.is_class_map] == ['semseg', 'human_parts']


@pytest.mark.parametrize('tasks', [PASCAL, NYUD, ('depth', )])
def test_check_tasks_keeps_the_order(tasks):
    assert check_tasks(list(tasks)) == tasks
    assert check_tasks(iter(tasks)) == tasks


def test_check_tasks_accepts_a_single_name():
    assert check_tasks('sal') == ('sal', )


def test_check_tasks_rejects_duplicates():
    with pytest.raises(
            ValueError,
            match=re.escape("MyHead: duplicate task in ('sal', "
                            "'depth', 'sal')")):
        check_tasks(['sal', 'depth', 'sal'], owner='MyHead')


@pytest.mark.parametrize('tasks', [(), []])
def test_check_tasks_rejects_an_empty_list(tasks):
    with pytest.raises(ValueError, match='cfg: at least one task'):
        check_tasks(tasks, owner='cfg')


def test_check_tasks_rejects_unknown_before_duplicates():
    with pytest.raises(KeyError, match="unknown task 'foo'"):
        check_tasks(['foo', 'foo'])


def test_check_tasks_rejects_tasks_the_owner_lacks():
    msg = ("PascalContextMTDataset does not provide task(s) ['depth']; it "
           "provides ['semseg', 'human_parts', 'sal', 'normals', 'edge']")
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_tasks(('semseg', 'depth'),
                    available=PASCAL + ('edge', ),
                    owner='PascalContextMTDataset')
    assert check_tasks(('edge', 'sal'),
                       available=PASCAL + ('edge', )) == ('edge', 'sal')


@pytest.mark.parametrize('name,channels', [('sal', 1), ('edge', 1),
                                           ('depth', 1), ('normals', 3)])
def test_out_channels_of_fixed_tasks_ignore_num_classes(name, channels):
    spec = get_task(name)
    assert spec.out_channels() == channels
    assert spec.out_channels(num_classes=21) == channels


@pytest.mark.parametrize('name', ['semseg', 'human_parts'])
def test_out_channels_of_class_tasks_is_num_classes(name):
    spec = get_task(name)
    assert spec.out_channels(num_classes=7) == 7
    with pytest.raises(
            ValueError,
            match=f"task '{name}' is a class-map task: "
            'num_classes must be given'):
        spec.out_channels()


def test_finalize_class_is_argmax_over_channels():
    # (C=3, H=1, W=3): per pixel the winning channel is 1, 0 and 2.
    logits = torch.tensor([[[0.1, 5.0, 0.0]], [[2.0, 0.0, 0.0]],
                           [[-1.0, 0.0, 3.0]]])
    pred = get_task('semseg').finalize(logits)
    assert pred.dtype == torch.int64
    assert pred.tolist() == [[[1, 0, 2]]]
    batched = get_task('human_parts').finalize(logits[None])
    assert batched.shape == (1, 1, 1, 3)
    assert batched[0].tolist() == [[[1, 0, 2]]]


@pytest.mark.parametrize('name', ['sal', 'edge'])
def test_finalize_binary_is_sigmoid(name):
    logits = torch.tensor([[[0.0, math.log(3.0), -math.log(3.0)]]])
    pred = get_task(name).finalize(logits)
    torch.testing.assert_close(pred, torch.tensor([[[0.5, 0.75, 0.25]]]))


def test_finalize_normals_is_unit_length_along_channels():
    # Pixel 0: (3, 0, 4) -> (0.6, 0, 0.8); pixel 1: (0, -2, 0) -> (0, -1, 0).
    logits = torch.tensor([[[3.0, 0.0]], [[0.0, -2.0]], [[4.0, 0.0]]])
    pred = get_task('normals').finalize(logits)
    torch.testing.assert_close(
        pred, torch.tensor([[[0.6, 0.0]], [[0.0, -1.0]], [[0.8, 0.0]]]))
    batched = get_task('normals').finalize(logits[None])
    torch.testing.assert_close(batched[0], pred)


def test_finalize_normals_keeps_a_zero_vector_finite():
    pred = get_task('normals').finalize(torch.zeros(3, 1, 1))
    assert torch.equal(pred, torch.zeros(3, 1, 1))


def test_finalize_depth_clamps_negative_metres_to_zero():
    logits = torch.tensor([[[-1.5, 0.0, 2.25]]])
    pred = get_task('depth').finalize(logits)
    assert pred.tolist() == [[[0.0, 0.0, 2.25]]]
