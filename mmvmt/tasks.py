"""The task table: the single source of truth for everything task-specific.

Datasets, transforms, the data preprocessor, heads, losses, the segmentor, the
metric and the visualiser all read :data:`TASKS`; nobody else hard-codes task
names. Facts follow the public PASCAL-Context multi-task and NYUD-v2 benchmarks
(see ``docs/design.md`` section 2).

Ground-truth conventions inside the pipeline (``results['gt_<task>']``):

* class maps (``semseg``, ``human_parts``): ``uint8`` HxW class ids, 255
  ignore.
* binary maps (``sal``, ``edge``): ``uint8`` HxW in {0, 1}, 255 ignore.
* ``normals``: ``float32`` HxWx3 unit vectors in [-1, 1]; an invalid pixel
  is the zero vector (0 in all three channels), the one value no unit
  vector takes. Padding with ``ignore_value`` and flipping the x sign keep
  invalid pixels invalid. (On disk, PNG normals mark invalid pixels with
  RGB (0, 0, 0), which the decoders turn into the zero vector.)
* ``depth``: ``float32`` HxW metres; 0 is invalid.

Predictions (``pred_<task>`` after :meth:`TaskSpec.finalize`):

* class maps: ``(1, H, W)`` int64 class ids.
* binary maps: ``(1, H, W)`` float foreground probability in [0, 1].
* ``normals``: ``(3, H, W)`` L2-normalised vectors.
* ``depth``: ``(1, H, W)`` metres (non-negative).
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Sequence, Tuple, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    'TaskSpec', 'TASKS', 'get_task', 'check_tasks', 'CLASS', 'BINARY',
    'NORMALS', 'DEPTH'
]

#: A ground-truth array: a torch tensor or a numpy array.
ArrayT = TypeVar('ArrayT', torch.Tensor, np.ndarray)

#: Kinds of task output. They decide how raw outputs become predictions
#: (:meth:`TaskSpec.finalize`), the loss family, the evaluator and the file
#: format of written predictions.
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
        ignore_value: Value that marks invalid ground-truth pixels (for
            multi-channel maps: in every channel); also the value used to
            pad the ground truth.
        gt_dtype: numpy dtype name of the ground-truth map in the pipeline.
        loss: Default loss config (registered in mmseg's ``MODELS``).
        loss_weight: Default weight of the task's loss in the total loss.
        metric: Primary metric (key ``<task>/<metric>``): the one a plain
            number in ``MultiTaskMetric(baseline=...)`` refers to.
        higher_is_better: Every metric the task reports (key
            ``<task>/<name>``) mapped to True if higher is better. The
            task's evaluator reports exactly these names; delta_m takes
            its signs from here.
        hflip_sign: Per-channel factor applied to valid ground-truth values
            (and predictions) after a horizontal flip; ``None`` if values do
            not change under a flip. Normals negate x.
        divide_by_scale: If True, resizing the image by a factor ``s``
            divides the valid values by ``s`` (depth: a scene seen ``s``
            times bigger is ``s`` times nearer).
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
    higher_is_better: Dict[str, bool] = field(hash=False)
    hflip_sign: Optional[Tuple[float, ...]] = None
    divide_by_scale: bool = False

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

    def valid_mask(self, gt: ArrayT) -> ArrayT:
        """Boolean mask of valid ground-truth pixels.

        A pixel is invalid when it holds :attr:`ignore_value` (normals: in
        all three channels, i.e. the zero vector).

        Args:
            gt: Ground truth of shape ``(..., C, H, W)`` with ``C`` equal to
                :attr:`gt_channels`, as a torch tensor or a numpy array
                (channels first in both cases; for an ``HxWxC`` pipeline
                map pass ``gt.transpose(2, 0, 1)``).

        Returns:
            Tensor | np.ndarray: ``(..., 1, H, W)`` bool mask of the same
            array type as ``gt``.
        """
        differs = gt != self.ignore_value
        if self.kind != NORMALS:
            return differs
        if isinstance(differs, torch.Tensor):
            return differs.any(dim=-3, keepdim=True)
        return differs.any(axis=-3, keepdims=True)

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


# avg_non_ignore: mean over valid pixels, as
# nn.CrossEntropyLoss(ignore_index=255) in the reference code (mmseg's
# default divides by all pixels).
_CE = dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True)

TASKS: Dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name='semseg',
            kind=CLASS,
            channels=None,
            gt_channels=1,
            ignore_value=255,
            gt_dtype='uint8',
            loss=_CE,
            loss_weight=1.0,
            metric='mIoU',
            higher_is_better=dict(mIoU=True, aAcc=True)),
        TaskSpec(
            name='human_parts',
            kind=CLASS,
            channels=None,
            gt_channels=1,
            ignore_value=255,
            gt_dtype='uint8',
            loss=_CE,
            loss_weight=2.0,
            metric='mIoU',
            higher_is_better=dict(mIoU=True, aAcc=True)),
        TaskSpec(
            name='sal',
            kind=BINARY,
            channels=1,
            gt_channels=1,
            ignore_value=255,
            gt_dtype='uint8',
            loss=dict(type='BalancedBCELoss'),
            loss_weight=5.0,
            metric='mIoU',
            higher_is_better=dict(
                mIoU=True, maxF=True, maxF_astmt=True, maxF_beta=True)),
        TaskSpec(
            name='normals',
            kind=NORMALS,
            channels=3,
            gt_channels=3,
            ignore_value=0,
            gt_dtype='float32',
            loss=dict(type='NormalsL1Loss'),
            loss_weight=10.0,
            metric='mean',
            higher_is_better={
                'mean': False,
                'median': False,
                'rmse': False,
                '11.25': True,
                '22.5': True,
                '30': True
            },
            hflip_sign=(-1.0, 1.0, 1.0)),
        TaskSpec(
            name='depth',
            kind=DEPTH,
            channels=1,
            gt_channels=1,
            ignore_value=0,
            gt_dtype='float32',
            loss=dict(type='DepthL1Loss'),
            loss_weight=1.0,
            metric='rmse',
            higher_is_better=dict(rmse=False, abs_rel=False, log_rmse=False),
            divide_by_scale=True),
        TaskSpec(
            name='edge',
            kind=BINARY,
            channels=1,
            gt_channels=1,
            ignore_value=255,
            gt_dtype='uint8',
            loss=dict(type='WeightedBCELoss', pos_weight=0.95),
            loss_weight=50.0,
            metric='odsF',
            higher_is_better=dict(odsF=True)),
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
