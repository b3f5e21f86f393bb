"""Choosing a task's evaluator from the task table."""
import dataclasses

import pytest

from mmvmt.evaluation.metrics import (ClassTaskEvaluator, DepthEvaluator,
                                      EdgeEvaluator, NormalsEvaluator,
                                      SaliencyEvaluator, build_task_evaluator,
                                      evaluator_class)
from mmvmt.evaluation.metrics.builder import (PROTOCOLS, TASK_EVALUATORS,
                                              protocol_evaluators)
from mmvmt.evaluation.metrics.literature_evaluators import (
    LiteratureDepthEvaluator, LiteratureNormalsEvaluator)
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
    with pytest.raises(ValueError, match=r"reports \['mIoU', 'maxF', "):
        evaluator_class(spec)
    spec = dataclasses.replace(get_task('sal'), metric='AP')
    with pytest.raises(ValueError, match="no evaluator .* metric 'AP'"):
        evaluator_class(spec)


def test_protocols_pick_their_evaluators():
    assert set(PROTOCOLS) == {'exact', 'literature'}
    assert protocol_evaluators('exact') is TASK_EVALUATORS
    literature = dict(
        EXPECTED,
        normals=LiteratureNormalsEvaluator,
        depth=LiteratureDepthEvaluator)
    for task, cls in literature.items():
        evaluator = build_task_evaluator(task, protocol='literature')
        assert type(evaluator) is cls
        # every protocol reports exactly the table's keys
        assert set(cls.metrics) == set(TASKS[task].higher_is_better)
    assert build_task_evaluator(
        'depth', protocol='literature').log_min_pred == 1e-9
    assert build_task_evaluator('depth').log_min_pred is None


def test_unknown_protocol_lists_the_valid_ones():
    with pytest.raises(
            ValueError,
            match=r"unknown protocol 'paper'; valid protocols: "
            r"\['exact', 'literature'\]"):
        build_task_evaluator('sal', protocol='paper')
    with pytest.raises(ValueError, match='unknown protocol None'):
        protocol_evaluators(None)
