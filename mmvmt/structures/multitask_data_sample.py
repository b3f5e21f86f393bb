"""A data sample carrying one ground-truth and one prediction map per task."""
from typing import Dict, Iterable

from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ..tasks import get_task

__all__ = ['MultiTaskDataSample']


class MultiTaskDataSample(SegDataSample):
    """:class:`SegDataSample` with ``gt_<task>`` / ``pred_<task>`` fields.

    Each field is a :class:`PixelData` whose ``data`` is a ``(C, H, W)``
    tensor (see :mod:`mmvmt.tasks` for the per-task contract). Because it is
    a ``SegDataSample``, mmseg's tools, hooks and visualiser accept it; the
    ``semseg`` map is not duplicated into ``gt_sem_seg``.

    Examples:
        >>> sample = MultiTaskDataSample()
        >>> sample.set_task_gt('depth', torch.rand(1, 4, 4))
        >>> sample.task_gt('depth').shape
        torch.Size([1, 4, 4])
    """

    def set_task_gt(self, task: str, data) -> None:
        """Store ``data`` (a ``(C, H, W)`` tensor) as ``gt_<task>``."""
        self.set_field(
            PixelData(data=data), get_task(task).gt_key, dtype=PixelData)

    def set_task_pred(self, task: str, data) -> None:
        """Store ``data`` (a ``(C, H, W)`` tensor) as ``pred_<task>``."""
        self.set_field(
            PixelData(data=data), get_task(task).pred_key, dtype=PixelData)

    def task_gt(self, task: str):
        """Return the ``(C, H, W)`` ground truth tensor of ``task``.

        Raises:
            KeyError: If the sample has no ground truth for ``task``.
        """
        key = get_task(task).gt_key
        if key not in self:
            held = sorted(k for k in self.keys() if k.startswith('gt_'))
            raise KeyError(f'data sample has no {key!r}; it holds {held}')
        return getattr(self, key).data

    def task_pred(self, task: str):
        """Return the ``(C, H, W)`` prediction tensor of ``task``.

        Raises:
            KeyError: If the sample has no prediction for ``task``.
        """
        key = get_task(task).pred_key
        if key not in self:
            raise KeyError(f'data sample has no {key!r}')
        return getattr(self, key).data

    def tasks_with_gt(self, tasks: Iterable[str]) -> Dict[str, bool]:
        """Map each task to whether this sample holds its ground truth."""
        return {t: get_task(t).gt_key in self for t in tasks}
