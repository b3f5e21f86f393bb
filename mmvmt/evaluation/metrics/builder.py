"""Pick and build the evaluator of a task from the task table."""
from typing import Optional, Tuple, Type

from ...tasks import get_task
from .base_task_evaluator import BaseTaskEvaluator
from .class_evaluator import ClassTaskEvaluator
from .depth_evaluator import DepthEvaluator
from .edge_evaluator import EdgeEvaluator
from .normals_evaluator import NormalsEvaluator
from .saliency_evaluator import SaliencyEvaluator

__all__ = ['TASK_EVALUATORS', 'evaluator_class', 'build_task_evaluator']

#: Every evaluator; a task uses the one of its kind that reports its
#: primary metric (``TaskSpec.metric``), so binary tasks split into
#: saliency (``mIoU``) and edges (``odsF``) without naming tasks here.
TASK_EVALUATORS: Tuple[Type[BaseTaskEvaluator], ...] = (
    ClassTaskEvaluator, SaliencyEvaluator, EdgeEvaluator, NormalsEvaluator,
    DepthEvaluator)


def evaluator_class(task: str) -> Type[BaseTaskEvaluator]:
    """Return the evaluator class of a task.

    Args:
        task: Task name.

    Returns:
        type: The :class:`BaseTaskEvaluator` subclass.

    Raises:
        KeyError: On an unknown task.
        ValueError: If no evaluator reports the task's primary metric.
    """
    spec = get_task(task)
    for cls in TASK_EVALUATORS:
        if cls.kind == spec.kind and spec.metric in cls.metrics:
            return cls
    raise ValueError(f'no evaluator of kind {spec.kind!r} reports metric '
                     f'{spec.metric!r} of task {task!r}')


def build_task_evaluator(task: str,
                         options: Optional[dict] = None) -> BaseTaskEvaluator:
    """Build a task's evaluator with its per-task options.

    Args:
        task: Task name.
        options: Keyword arguments of the evaluator class.

    Returns:
        BaseTaskEvaluator: The evaluator.

    Raises:
        TypeError: On an option the evaluator does not take (the message
            names the task and the evaluator).
    """
    cls = evaluator_class(task)
    try:
        return cls(get_task(task), **(options or {}))
    except TypeError as err:
        raise TypeError(f'task_options[{task!r}] do not fit '
                        f'{cls.__name__}: {err}') from err
