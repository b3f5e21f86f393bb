"""Pick and build the evaluator of a task from the task table."""
from typing import Dict, Optional, Sequence, Tuple, Type

from ...tasks import TaskSpec, get_task
from .base_task_evaluator import BaseTaskEvaluator
from .class_evaluator import ClassTaskEvaluator
from .depth_evaluator import DepthEvaluator
from .edge_evaluator import EdgeEvaluator
from .literature_evaluators import (LiteratureDepthEvaluator,
                                    LiteratureNormalsEvaluator)
from .normals_evaluator import NormalsEvaluator
from .saliency_evaluator import SaliencyEvaluator

__all__ = [
    'TASK_EVALUATORS', 'LITERATURE_EVALUATORS', 'PROTOCOLS',
    'protocol_evaluators', 'evaluator_class', 'build_task_evaluator'
]

#: Every evaluator; a task uses the one of its kind that reports its
#: primary metric (``TaskSpec.metric``), so binary tasks split into
#: saliency (``mIoU``) and edges (``odsF``) without naming tasks here.
#: These are the evaluators of the ``'exact'`` protocol.
TASK_EVALUATORS: Tuple[Type[BaseTaskEvaluator],
                       ...] = (ClassTaskEvaluator, SaliencyEvaluator,
                               EdgeEvaluator, NormalsEvaluator, DepthEvaluator)

#: The ``'literature'`` protocol: the reference online meters' normals
#: (ground truth not re-normalised) and depth (log clamp 1e-9).
LITERATURE_EVALUATORS: Tuple[Type[BaseTaskEvaluator],
                             ...] = (ClassTaskEvaluator, SaliencyEvaluator,
                                     EdgeEvaluator, LiteratureNormalsEvaluator,
                                     LiteratureDepthEvaluator)

#: Evaluation protocol name -> its evaluator classes. Every protocol
#: reports the same keys (the task table's ``higher_is_better``).
PROTOCOLS: Dict[str, Tuple[Type[BaseTaskEvaluator], ...]] = dict(
    exact=TASK_EVALUATORS, literature=LITERATURE_EVALUATORS)


def protocol_evaluators(
        protocol: str,
        owner: str = 'MultiTaskMetric') -> Tuple[Type[BaseTaskEvaluator], ...]:
    """Return the evaluator classes of an evaluation protocol.

    Args:
        protocol: A key of :data:`PROTOCOLS`.
        owner: Name used in the error message.

    Returns:
        tuple[type]: The protocol's evaluator classes.

    Raises:
        ValueError: On an unknown protocol; the message lists the valid
            ones.
    """
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise ValueError(f'{owner}: unknown protocol {protocol!r}; valid '
                         f'protocols: {sorted(PROTOCOLS)}')
    return PROTOCOLS[protocol]


def evaluator_class(
    spec: TaskSpec,
    candidates: Sequence[Type[BaseTaskEvaluator]] = TASK_EVALUATORS
) -> Type[BaseTaskEvaluator]:
    """Return the evaluator class of a task.

    Args:
        spec: The task's table entry.
        candidates: Evaluator classes to choose from.

    Returns:
        type: The first candidate of the task's kind that reports the
        task's primary metric.

    Raises:
        ValueError: If no candidate fits, or if the chosen evaluator's
            metrics are not exactly the ones the table gives directions
            for (``TaskSpec.higher_is_better``).
    """
    for cls in candidates:
        if cls.kind == spec.kind and spec.metric in cls.metrics:
            if set(cls.metrics) != set(spec.higher_is_better):
                raise ValueError(
                    f'{cls.__name__} reports {list(cls.metrics)} but the '
                    f'task table gives directions for '
                    f'{list(spec.higher_is_better)} (task {spec.name!r})')
            return cls
    raise ValueError(f'no evaluator of kind {spec.kind!r} reports metric '
                     f'{spec.metric!r} of task {spec.name!r}')


def build_task_evaluator(task: str,
                         options: Optional[dict] = None,
                         protocol: str = 'exact') -> BaseTaskEvaluator:
    """Build a task's evaluator with its per-task options.

    Args:
        task: Task name.
        options: Keyword arguments of the evaluator class.
        protocol: Evaluation protocol, a key of :data:`PROTOCOLS`.

    Returns:
        BaseTaskEvaluator: The evaluator.

    Raises:
        KeyError: On an unknown task.
        ValueError: On an unknown protocol.
        TypeError: On an option the evaluator does not take (the message
            names the task and the evaluator).
    """
    spec = get_task(task)
    cls = evaluator_class(spec, protocol_evaluators(protocol))
    try:
        return cls(spec, **(options or {}))
    except TypeError as err:
        raise TypeError(f'task_options[{task!r}] do not fit '
                        f'{cls.__name__}: {err}') from err
