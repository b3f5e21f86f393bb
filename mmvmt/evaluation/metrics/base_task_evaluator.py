"""Base class of the per-task accumulators used by ``MultiTaskMetric``.

A task evaluator turns one image's prediction and ground truth into a small
dict of *sufficient statistics* (numpy arrays whose size does not depend on
the image size) and later reduces the statistics of the whole split to the
task's metrics. It never keeps prediction maps.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from ...tasks import TaskSpec

__all__ = ['BaseTaskEvaluator', 'ImageStats', 'sum_stat', 'count_passing']

#: Per-image statistics: small numpy arrays keyed by name. Every dict holds
#: ``'n'``, the number of valid ground-truth pixels of the image.
ImageStats = Dict[str, np.ndarray]


class BaseTaskEvaluator(metaclass=ABCMeta):
    """Accumulates one task's statistics image by image.

    Subclasses set the class attributes below and implement
    :meth:`process_image` and :meth:`compute`.

    Attributes:
        kind: The :attr:`TaskSpec.kind` this evaluator handles.
        metrics: Names of the metrics :meth:`compute` returns (without the
            ``<task>/`` prefix), in logging order. They must be the keys of
            the task's :attr:`TaskSpec.higher_is_better`, which alone holds
            their directions.
        fold_keys: Statistics that are large but summable (fixed-size count
            arrays). ``MultiTaskMetric`` folds them of all but the newest
            image into its first result entry to keep memory flat; each
            such array of an image sums to the image's ``'n'``.

    Args:
        spec: The task's entry of the task table.
    """

    kind: str = ''
    metrics: Tuple[str, ...] = ()
    fold_keys: Tuple[str, ...] = ()

    def __init__(self, spec: TaskSpec) -> None:
        if spec.kind != self.kind:
            raise ValueError(f'{type(self).__name__} evaluates tasks of kind '
                             f'{self.kind!r}, got task {spec.name!r} of kind '
                             f'{spec.kind!r}')
        self.spec = spec

    @property
    def task(self) -> str:
        """The task name."""
        return self.spec.name

    def set_dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Read what the evaluator needs from the dataset's meta info.

        Args:
            dataset_meta: The dataset's ``metainfo`` (may be None).
        """

    def check_shapes(self, pred: Tensor, gt: Tensor,
                     pred_channels: int) -> None:
        """Check the ``(C, H, W)`` layout of a prediction / gt pair.

        Args:
            pred: The prediction.
            gt: The ground truth.
            pred_channels: Expected channels of the prediction.

        Raises:
            ValueError: On a wrong rank, channel count or spatial size.
        """
        if gt.dim() != 3 or gt.shape[0] != self.spec.gt_channels:
            raise ValueError(f'gt_{self.task} must have shape '
                             f'({self.spec.gt_channels}, H, W), got '
                             f'{tuple(gt.shape)}')
        if pred.dim() != 3 or pred.shape[0] != pred_channels:
            raise ValueError(f'pred_{self.task} must have shape '
                             f'({pred_channels}, H, W), got '
                             f'{tuple(pred.shape)}')
        if pred.shape[-2:] != gt.shape[-2:]:
            raise ValueError(f'pred_{self.task} has spatial size '
                             f'{tuple(pred.shape[-2:])} but gt_{self.task} '
                             f'has {tuple(gt.shape[-2:])}; predictions must '
                             'be at the ground truth resolution')

    @abstractmethod
    def process_image(self, pred: Tensor, gt: Tensor) -> ImageStats:
        """Compute one image's sufficient statistics.

        Args:
            pred: The prediction (see ``MultiTaskMetric`` for the contract).
            gt: The ground truth, same spatial size.

        Returns:
            dict: Small numpy arrays, including ``'n'`` (valid pixels).

        Raises:
            ValueError: On malformed input (shapes, value ranges).
        """

    @abstractmethod
    def compute(self, stats: Sequence[ImageStats]) -> Dict[str, float]:
        """Reduce the statistics of the whole split to the task's metrics.

        Args:
            stats: One dict per image, in dataset order; arrays listed in
                :attr:`fold_keys` may be missing from some of them (folded
                into another entry).

        Returns:
            dict: Metric name (each of :attr:`metrics`) to value.
        """

    def log_details(self, stats: Sequence[ImageStats]) -> None:
        """Log extra detail (e.g. a per-class table); nothing by default.

        Args:
            stats: As for :meth:`compute`.
        """


def sum_stat(stats: Sequence[ImageStats], key: str) -> np.ndarray:
    """Sum one statistic over images, skipping entries that lack it.

    Args:
        stats: Per-image statistics.
        key: Name of the statistic.

    Returns:
        np.ndarray: The sum (0 if no image holds the key).
    """
    present: List[np.ndarray] = [s[key] for s in stats if key in s]
    if not present:
        return np.zeros(())
    return np.sum(present, axis=0)


def count_passing(values: Tensor, thresholds: Tensor,
                  inclusive: bool) -> Tensor:
    """Count values above each threshold in one pass.

    Args:
        values: Any-shaped tensor of scores.
        thresholds: Ascending 1-D thresholds, same dtype and device.
        inclusive: Count ``values >= t`` if True, else ``values > t``.

    Returns:
        Tensor: int64 counts, one per threshold.
    """
    # bucketize gives, per value, how many thresholds it passes:
    # right=True -> #(t <= v), right=False -> #(t < v).
    passed = torch.bucketize(values.reshape(-1), thresholds, right=inclusive)
    hist = torch.bincount(passed, minlength=thresholds.numel() + 1)
    # counts[j] = #(passed > j) = sum(hist[j + 1:])
    return hist.flip(0).cumsum(0).flip(0)[1:]
