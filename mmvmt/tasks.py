"""The task table: the single source of truth for everything task-specific.

Datasets, transforms, the data preprocessor, heads, losses, the segmentor, the
metric and the visualiser all read :data:`TASKS`; nobody else hard-codes task
names. Facts follow the public PASCAL-Context multi-task and NYUD-v2 benchmarks
(see ``DESIGN.md`` section 2).

Ground-truth conventions inside the pipeline (``results['gt_<task>']``):

* class maps (``semseg``, ``human_parts``): ``uint8`` HxW class ids, 255 ignore.
* binary maps (``sal``, ``edge``): ``uint8`` HxW in {0, 1}, 255 ignore.
* ``normals``: ``float32`` HxWx3 unit vectors in [-1, 1]; invalid pixels hold
  255 in all three channels (a zero-length vector is invalid too).
* ``depth``: ``float32`` HxW metres; 0 is invalid.

Predictions (``pred_<task>`` after :meth:`TaskSpec.finalize`):

* class maps: ``(1, H, W)`` int64 class ids.
* binary maps: ``(1, H, W)`` float foreground probability in [0, 1].
* ``normals``: ``(3, H, W)`` L2-normalised vectors.
* ``depth``: ``(1, H, W)`` metres (non-negative).
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = [
    'TaskSpec', 'TASKS', 'get_task', 'check_tasks', 'CLASS', 'BINARY',
    'NORMALS', 'DEPTH'
]

#: Kinds of task output. They decide the head's activation, the loss family,
#: the way predictions are resized and the metric.
CLASS = 'class'
BINARY = 'binary'
NORMALS = 'normals'
DEPTH = 'depth'


@dataclass(frozen=True)
class TaskSpec:
    """Everything that is specific to one dense task.

    Args:
        name: Task name, also the suffix of ``gt_<name>`` / ``pred_<name>``.
        kind: One of ``'class'``, ``'binary'``, ``'normals'``, ``'depth'``.
        channels: Output channels of the head; ``None`` for class tasks,
            whose channel count is the dataset's number of classes.
        gt_channels: Channels of the ground-truth map (1 or 3).
        ignore_value: Value that marks invalid ground-truth pixels; also the
            value used to pad the ground truth.
        gt_dtype: numpy dtype name of the ground-truth map in the pipeline.
        loss: Default loss config (registered in mmseg's ``MODELS``).
        loss_weight: Default weight of the task's loss in the total loss.
        metric: Primary metric key (``<task>/<metric>``) used by delta_m.
        higher_is_better: Direction of :attr:`metric`.
        hflip_sign: Per-channel factor applied to valid ground-truth values
            (and predictions) after a horizontal flip; ``None`` if values do
            not change under a flip. Normals negate x.
        scale_divides: If True, resizing the image by a factor ``s`` divides
            the values by ``s`` (depth: a scene seen bigger is nearer).
    """

    name: str
    kind: str
    channels: Optional[int]
    gt_channels: int
    ignore_value: float
    gt_dtype: str
    loss: dict = field(hash=False)
    loss_weight: float
    metric: str
    higher_is_better: bool
    hflip_sign: Optional[Tuple[float, ...]] = None
    scale_divides: bool = False

    @property
    def gt_key(self) -> str:
        """Key of the ground truth in pipeline results and data samples."""
        return f'gt_{self.name}'

    @property
    def pred_key(self) -> str:
        """Key of the prediction in data samples."""
        return f'pred_{self.name}'

    @property
    def path_key(self) -> str:
        """Key of the ground-truth file path in a dataset's data info."""
        return f'{self.name}_path'

    @property
    def is_class_map(self) -> bool:
        """Whether predictions are class ids (argmax over channels)."""
        return self.kind == CLASS

    def out_channels(self, num_classes: Optional[int] = None) -> int:
        """Head output channels for this task.

        Args:
            num_classes: Number of classes, required for class tasks.

        Returns:
            int: The channel count.
        """
        if self.channels is not None:
            return self.channels
        if num_classes is None:
            raise ValueError(f'task {self.name!r} is a class-map task: '
                             'num_classes must be given')
        return num_classes

    def valid_mask(self, gt: torch.Tensor) -> torch.Tensor:
        """Boolean mask of valid ground-truth pixels.

        Args:
            gt: Ground truth of shape ``(..., C, H, W)`` with ``C`` equal to
                :attr:`gt_channels`.

        Returns:
            Tensor: ``(..., 1, H, W)`` bool mask.
        """
        if self.kind == NORMALS:
            invalid = (gt == self.ignore_value).all(dim=-3, keepdim=True)
            zero = (gt == 0).all(dim=-3, keepdim=True)
            return ~(invalid | zero)
        return gt != self.ignore_value

    def finalize(self, logits: torch.Tensor) -> torch.Tensor:
        """Turn raw head outputs at image size into the prediction contract.

        Args:
            logits: ``(N, C, H, W)`` or ``(C, H, W)`` raw outputs.

        Returns:
            Tensor: class ids ``(.., 1, H, W)`` for class tasks, probabilities
            for binary tasks, unit vectors for normals, metres for depth.
        """
        if self.kind == CLASS:
            return logits.argmax(dim=-3, keepdim=True)
        if self.kind == BINARY:
            return logits.sigmoid()
        if self.kind == NORMALS:
            return F.normalize(logits, p=2, dim=-3)
        return logits.clamp(min=0)


# avg_non_ignore: mean over valid pixels, as nn.CrossEntropyLoss(ignore_index=255)
# in the reference code (mmseg's default divides by all pixels).
_CE = dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True)

TASKS: Dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name='semseg', kind=CLASS, channels=None, gt_channels=1,
            ignore_value=255, gt_dtype='uint8', loss=_CE, loss_weight=1.0,
            metric='mIoU', higher_is_better=True),
        TaskSpec(
            name='human_parts', kind=CLASS, channels=None, gt_channels=1,
            ignore_value=255, gt_dtype='uint8', loss=_CE, loss_weight=2.0,
            metric='mIoU', higher_is_better=True),
        TaskSpec(
            name='sal', kind=BINARY, channels=1, gt_channels=1,
            ignore_value=255, gt_dtype='uint8',
            loss=dict(type='BalancedBCELoss'), loss_weight=5.0,
            metric='mIoU', higher_is_better=True),
        TaskSpec(
            name='normals', kind=NORMALS, channels=3, gt_channels=3,
            ignore_value=255, gt_dtype='float32',
            loss=dict(type='NormalsL1Loss'), loss_weight=10.0,
            metric='mean', higher_is_better=False,
            hflip_sign=(-1.0, 1.0, 1.0)),
        TaskSpec(
            name='depth', kind=DEPTH, channels=1, gt_channels=1,
            ignore_value=0, gt_dtype='float32',
            loss=dict(type='DepthL1Loss'), loss_weight=1.0,
            metric='rmse', higher_is_better=False, scale_divides=True),
        TaskSpec(
            name='edge', kind=BINARY, channels=1, gt_channels=1,
            ignore_value=255, gt_dtype='uint8',
            loss=dict(type='WeightedBCELoss', pos_weight=0.95),
            loss_weight=50.0, metric='odsF', higher_is_better=True),
    )
}


def get_task(name: str) -> TaskSpec:
    """Look up a task by name.

    Args:
        name: Task name.

    Returns:
        TaskSpec: The task's entry in :data:`TASKS`.

    Raises:
        KeyError: If the task is unknown; the message lists known tasks.
    """
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f'unknown task {name!r}; known tasks: '
                       f'{sorted(TASKS)}') from None


def check_tasks(tasks: Iterable[str],
                available: Optional[Sequence[str]] = None,
                owner: str = 'config') -> Tuple[str, ...]:
    """Validate a task list: known names, no duplicates, optionally a subset.

    Args:
        tasks: Requested task names.
        available: If given, the tasks the owner supports (e.g. a dataset).
        owner: Name used in error messages.

    Returns:
        tuple[str]: The tasks, in the given order.

    Raises:
        KeyError: On an unknown task name.
        ValueError: On duplicates, an empty list or a task not in
            ``available``.
    """
    if isinstance(tasks, str):
        tasks = (tasks, )
    tasks = tuple(tasks)
    if not tasks:
        raise ValueError(f'{owner}: at least one task is required')
    for name in tasks:
        get_task(name)
    if len(set(tasks)) != len(tasks):
        raise ValueError(f'{owner}: duplicate task in {tasks}')
    if available is not None:
        missing = [t for t in tasks if t not in available]
        if missing:
            raise ValueError(f'{owner} does not provide task(s) {missing}; '
                             f'it provides {list(available)}')
    return tasks
