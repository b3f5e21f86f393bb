"""Evaluation metrics."""
from .base_task_evaluator import BaseTaskEvaluator
from .builder import (LITERATURE_EVALUATORS, PROTOCOLS, TASK_EVALUATORS,
                      build_task_evaluator, evaluator_class,
                      protocol_evaluators)
from .class_evaluator import ClassTaskEvaluator
from .delta_m import compute_delta_m, parse_baseline
from .depth_evaluator import DepthEvaluator
from .edge_evaluator import EdgeEvaluator
from .literature_evaluators import (LiteratureDepthEvaluator,
                                    LiteratureNormalsEvaluator)
from .multitask_metric import MultiTaskMetric
from .normals_evaluator import NormalsEvaluator, histogram_median
from .saliency_evaluator import SaliencyEvaluator

__all__ = [
    'MultiTaskMetric', 'BaseTaskEvaluator', 'ClassTaskEvaluator',
    'SaliencyEvaluator', 'EdgeEvaluator', 'NormalsEvaluator', 'DepthEvaluator',
    'LiteratureNormalsEvaluator', 'LiteratureDepthEvaluator',
    'TASK_EVALUATORS', 'LITERATURE_EVALUATORS', 'PROTOCOLS',
    'protocol_evaluators', 'build_task_evaluator', 'evaluator_class',
    'parse_baseline', 'compute_delta_m', 'histogram_median'
]
