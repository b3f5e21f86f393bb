"""Choosing a task's evaluator from the task table."""
import dataclasses

import pytest

from mmvmt.evaluation.metrics import (ClassTaskEvaluator, DepthEvaluator,
                                      EdgeEvaluator, NormalsEvaluator,
                                      SaliencyEvaluator, build_task_evaluator,
                                      evaluator_class)
from mmvmt.tasks import TASKS, get_task

EXPECTED = dict(
    semseg=ClassTaskEvaluator,
    human_parts=ClassTaskEvaluator,
    sal=SaliencyEvaluator,
    edge=EdgeEvaluator,
    normals=NormalsEvaluator,
    depth=DepthEvaluator)


def test_each_task_gets_its_evaluator():
    assert set(EXPECTED) == set(TASKS)
    for task, cls in EXPECTED.items():
        evaluator = build_task_evaluator(task)
        assert type(evaluator) is cls and evaluator.spec is TASKS[task]
        assert set(cls.metrics) == set(TASKS[task].higher_is_better)


def test_table_and_evaluator_must_agree_on_the_metrics():
    spec = dataclasses.replace(
        get_task('sal'), higher_is_better=dict(mIoU=True))
    with pytest.raises(ValueError, match=r"reports \['mIoU', 'maxF'\]"):
        evaluator_class(spec)
    spec = dataclasses.replace(get_task('sal'), metric='AP')
    with pytest.raises(ValueError, match="no evaluator .* metric 'AP'"):
        evaluator_class(spec)
