"""Evaluators of the ``'literature'`` protocol (the reference meters).

They differ from the ``'exact'`` ones only in defaults, so an explicit
``task_options`` entry can still choose either behaviour under either
protocol.
"""
from typing import Optional

from ...tasks import TaskSpec
from .depth_evaluator import DepthEvaluator
from .normals_evaluator import NormalsEvaluator

__all__ = [
    'LiteratureNormalsEvaluator', 'LiteratureDepthEvaluator', 'LOG_MIN_PRED'
]

#: The floor the reference depth meters clamp predictions to.
LOG_MIN_PRED = 1e-9


class LiteratureNormalsEvaluator(NormalsEvaluator):
    """:class:`NormalsEvaluator` that does not re-normalise the ground truth.

    The reference online ``NormalsMeter`` (ASTMT / MTI-Net, MTLoRA's
    ``NormalsMeterV1``) takes ``arccos(clip(<pred, gt>, -1, 1))`` with the
    network's normalised prediction and the ground truth as loaded, so a
    ground-truth vector shorter than 1 (8-bit rounding, bicubic resizing
    to 448x448) counts as a larger error. Its ``rmse`` key returns the
    mean error; here ``rmse`` stays a true RMSE and the published "rmse"
    column compares with ``mean``.

    Args:
        spec: The task's table entry (kind ``'normals'``).
        median_bin_width: As :class:`NormalsEvaluator`.
        normalize_gt: As :class:`NormalsEvaluator`, default False.
    """

    def __init__(self,
                 spec: TaskSpec,
                 median_bin_width: float = 0.01,
                 normalize_gt: bool = False) -> None:
        super().__init__(spec, median_bin_width, normalize_gt)


class LiteratureDepthEvaluator(DepthEvaluator):
    """:class:`DepthEvaluator` that clamps predictions as the references do.

    ``log_rmse`` clamps predictions to 1e-9 (``DepthMeter``:
    ``torch.clamp(pred, min=1e-9)``) and counts every valid pixel, instead
    of skipping non-positive predictions.

    Args:
        spec: The task's table entry (kind ``'depth'``).
        log_min_pred: As :class:`DepthEvaluator`, default 1e-9; None skips
            non-positive predictions as the ``'exact'`` protocol does.
    """

    def __init__(self,
                 spec: TaskSpec,
                 log_min_pred: Optional[float] = LOG_MIN_PRED) -> None:
        super().__init__(spec, log_min_pred)
