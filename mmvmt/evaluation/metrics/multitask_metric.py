"""``MultiTaskMetric``: every task's benchmark metrics plus delta_m."""
import logging
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmseg.registry import METRICS
from torch import Tensor

from ...tasks import check_tasks, get_task
from .base_task_evaluator import BaseTaskEvaluator, ImageStats
from .builder import build_task_evaluator, protocol_evaluators
from .delta_m import BaselineSpec, compute_delta_m, load_baseline
from .summary import results_table, summary_line

__all__ = ['MultiTaskMetric']

#: Per-image result entry: task -> that task's statistics.
ResultEntry = Dict[str, ImageStats]

#: Where the tasks come from when ``tasks`` is not given.
META_TASKS = "dataset_meta['tasks']"


def _get_map(sample: Mapping, key: str, img_path: str) -> Tensor:
    """Read ``sample[key]['data']`` as a tensor.

    Raises:
        KeyError: If the sample has no ``key``.
    """
    if key not in sample:
        held = sorted(k for k in sample if k.startswith(('gt_', 'pred_')))
        raise KeyError(
            f'data sample of image {img_path!r} has no {key!r} '
            f'(MultiTaskMetric needs gt_<task> and pred_<task> for every '
            f'evaluated task); it holds {held}')
    field = sample[key]
    if isinstance(field, Mapping):
        if 'data' not in field:
            raise KeyError(f'{key!r} of image {img_path!r} has no "data"')
        field = field['data']
    elif isinstance(field, BaseDataElement):
        field = field.data
    return torch.as_tensor(field)


@METRICS.register_module()
class MultiTaskMetric(BaseMetric):
    """Per-task benchmark metrics and the multi-task delta_m.

    Every number follows the public evaluation code of the PASCAL-Context /
    NYUD-v2 multi-task benchmarks (ASTMT, MTI-Net, Multi-Task-Transformer,
    MTLoRA). Each task is scored by the evaluator of its kind that reports
    its primary metric (see :mod:`.builder`); the keys are
    ``<task>/<name>`` for every name in the task's
    :attr:`TaskSpec.higher_is_better`:

    * class maps: ``mIoU``, ``aAcc`` (%) (:class:`ClassTaskEvaluator`);
    * binary maps with primary metric ``mIoU`` (saliency): ``mIoU``,
      ``maxF``, ``maxF_astmt``, ``maxF_beta`` (%), the last two being the
      two published maxF flavours (:class:`SaliencyEvaluator`);
    * binary maps with primary metric ``odsF`` (edges): ``odsF`` (%), an
      approximation of SEISM's ODS F-measure (:class:`EdgeEvaluator`);
    * normals: ``mean``, ``median``, ``rmse`` (degrees), ``11.25``,
      ``22.5``, ``30`` (%) (:class:`NormalsEvaluator`);
    * depth: ``rmse`` (m), ``abs_rel``, ``log_rmse``
      (:class:`DepthEvaluator`).

    Protocols (``protocol``; both report the same keys, memory and
    batching behave the same):

    * ``'exact'`` (default): the definitions above, normals as the
      reference offline ``eval_normals`` (ground truth re-normalised),
      ``depth/log_rmse`` over predictions > 0 only.
    * ``'literature'``: the reference *online* meters behind the published
      tables (MTI-Net / MTLoRA): ``normals/*`` from ground truth that is
      not re-normalised (:class:`LiteratureNormalsEvaluator`; the meter's
      "rmse" key is its mean error: compare published "rmse" columns with
      ``normals/mean``; ``normals/rmse`` stays a true RMSE), and
      ``depth/log_rmse`` with predictions clamped to 1e-9
      (:class:`LiteratureDepthEvaluator`). Everything else is unchanged:
      saliency's ignored pixels stay excluded (the reference would count
      a 255 as foreground), ``sal/maxF`` stays mmvmt's flavour, the
      published ones being ``sal/maxF_astmt`` and ``sal/maxF_beta``. An
      explicit ``task_options`` entry (``normalize_gt``,
      ``log_min_pred``) overrides a protocol's default.

    A task whose ground truth has no valid pixel in the whole split gets
    nan metrics and a WARNING naming the task.

    With a ``baseline``: ``multitask/delta_<task>`` and ``multitask/delta_m``
    (percent), ``delta_m = 1/T sum_t s_t (M_t - B_t) / B_t * 100`` over the
    T tasks that have a baseline, ``s_t = +1`` if the task table says
    higher is better for the metric, else -1. Keys carry no extra prefix
    unless ``prefix`` is given. Select the best checkpoint with
    ``CheckpointHook(save_best='multitask/delta_m', rule='greater')``
    (mmengine cannot infer the rule from that name).

    Tasks: ``tasks`` if given, else ``dataset_meta['tasks']`` (the mmvmt
    datasets put their tasks there; mmengine's loops set
    :attr:`dataset_meta` before the first batch). Given explicitly, every
    task must be among the dataset's tasks when the dataset lists them.

    Input contract (per data sample; mmengine passes ``to_dict()`` copies,
    data samples themselves are accepted too): ``gt_<task>`` and
    ``pred_<task>``, each with a ``data`` tensor of shape ``(C, H, W)`` at
    the same (original image) resolution, as in :mod:`mmvmt.tasks`:

    * class maps: pred ``(1, H, W)`` integer class ids in ``[0, C)``;
    * binary maps: pred ``(1, H, W)`` foreground probability in ``[0, 1]``,
      gt in ``{0, 1}``;
    * normals: pred ``(3, H, W)`` vectors (normalised here), gt unit
      vectors (under ``'literature'``: as loaded, e.g. bicubic-resized);
    * depth: pred ``(1, H, W)`` metres, gt metres.

    Ground-truth pixels that :meth:`TaskSpec.valid_mask` marks invalid are
    excluded from every count. A missing field raises ``KeyError`` naming
    the key and ``img_path``; malformed maps raise ``ValueError`` naming
    the image.

    Memory: ``process`` keeps per image only small fixed-size statistics
    (see the evaluators). Large summable arrays (confusion matrices, the
    normals error histogram) of all images but the newest are added into
    the first entry of ``self.results``. mmengine's ``collect_results``
    drops the dataloader's padding samples, which are always the last entry
    of a rank, so the folding stays exact in distributed runs; a consistency
    check in :meth:`compute_metrics` raises if that assumption is broken.

    Class names: ``dataset_meta['task_classes'][task]``, else numeric names
    from the task's ``num_classes`` option.

    Args:
        tasks: Tasks to evaluate, e.g. ``('semseg', 'sal')``; None (the
            default) takes ``dataset_meta['tasks']``.
        baseline: Optional single-task baselines, task -> value of the
            task's primary metric (``TaskSpec.metric``), or
            ``dict(metric='maxF', value=...)``; or the path of a baseline
            file (``tools/analysis_tools/make_baseline.py`` writes one from
            single-task runs; format: :mod:`mmvmt.fileio.baseline_file`),
            read once here. Tasks without a baseline are left out of
            delta_m.
        task_options: Task -> keyword options of its evaluator, e.g.
            ``dict(semseg=dict(num_classes=21), edge=dict(max_dist=0.011),
            depth=dict(log_min_pred=1e-9))``.
        protocol: ``'exact'`` or ``'literature'`` (see above).
        collect_device: ``'cpu'`` or ``'gpu'``, as :class:`BaseMetric`.
        prefix: Optional prefix added before every key.
        collect_dir: As :class:`BaseMetric`.

    Raises:
        KeyError: On an unknown task name.
        ValueError: On an unknown protocol (the message lists the valid
            ones), duplicate tasks, options or baselines for tasks that
            are not evaluated, a malformed baseline or baseline file (the
            message names the file), or (when the dataset meta is set) a
            requested task the dataset does not list.
        TypeError: On an option the task's evaluator does not take, or a
            ``baseline`` that is neither a dict nor a path.
        OSError: If a baseline file cannot be read (FileNotFoundError if
            it does not exist).

    Examples:
        >>> metric = MultiTaskMetric(
        ...     baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35,
        ...                   normals=17.97))
        >>> metric.dataset_meta = dict(
        ...     tasks=('semseg', 'human_parts', 'sal', 'normals'),
        ...     task_classes=dict(semseg=[str(i) for i in range(21)],
        ...                       human_parts=[str(i) for i in range(7)]))
        >>> metric.tasks
        ('semseg', 'human_parts', 'sal', 'normals')
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 tasks: Optional[Union[str, Sequence[str]]] = None,
                 baseline: Optional[BaselineSpec] = None,
                 task_options: Optional[Dict[str, dict]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 protocol: str = 'exact') -> None:
        # Keys are already '<task>/<metric>': a placeholder silences
        # BaseMetric's "prefix is not set" warning, then the real one.
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or 'multitask',
            collect_dir=collect_dir)
        self.prefix = prefix
        protocol_evaluators(protocol)
        self.protocol = protocol
        self.requested_tasks: Optional[Tuple[str, ...]] = (
            None if tasks is None else check_tasks(
                tasks, owner='MultiTaskMetric'))
        self.task_options = dict(task_options or {})
        for task in self.task_options:
            get_task(task)
        self.baseline = load_baseline(baseline)
        # Named in errors: 'baseline' or "baseline file '<path>'".
        self._baseline_name = ('baseline' if baseline is None or isinstance(
            baseline, Mapping) else f'baseline file {str(baseline)!r}')
        self._tasks: Optional[Tuple[str, ...]] = None
        self.evaluators: Dict[str, BaseTaskEvaluator] = {}
        if self.requested_tasks is not None:
            self._use_tasks(self.requested_tasks)

    # ------------------------------------------------------------ tasks
    def _use_tasks(self, tasks: Optional[Tuple[str, ...]]) -> None:
        """Build one evaluator per task (none if ``tasks`` is None).

        Raises:
            ValueError: If options or baselines name a task not in
                ``tasks``.
        """
        if tasks is None:
            self._tasks, self.evaluators = None, {}
            return
        if tasks == self._tasks:
            return
        for name, given in (('task_options', self.task_options),
                            (self._baseline_name, self.baseline)):
            extra = [t for t in given if t not in tasks]
            if extra:
                raise ValueError(f'{name} given for {extra}, which are not '
                                 f'evaluated (tasks: {list(tasks)})')
        self.evaluators = {
            task:
            build_task_evaluator(task, self.task_options.get(task),
                                 self.protocol)
            for task in tasks
        }
        self._tasks = tasks

    @property
    def tasks(self) -> Tuple[str, ...]:
        """The evaluated tasks.

        Raises:
            ValueError: If ``tasks`` was not given and the dataset meta
                does not list them.
        """
        if self._tasks is None:
            keys = (None if self._dataset_meta is None else sorted(
                self._dataset_meta))
            raise ValueError(
                'MultiTaskMetric does not know which tasks to evaluate: '
                'give tasks=... or evaluate a dataset whose metainfo has '
                f"'tasks' (the mmvmt datasets do); dataset_meta keys: {keys}")
        return self._tasks

    @property
    def dataset_meta(self) -> Optional[dict]:
        """The dataset meta info.

        Setting it takes the tasks from its ``'tasks'`` unless ``tasks`` was
        given (then it checks the dataset lists them), and hands it to the
        evaluators (class names).

        Raises:
            ValueError: On a requested task the dataset does not list, or
                a baseline / option for a task the dataset does not list.
        """
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        provided = (dataset_meta or {}).get('tasks')
        if provided is not None:
            provided = check_tasks(provided, owner=META_TASKS)
        if self.requested_tasks is None:
            self._use_tasks(provided)
        elif provided is not None:
            missing = [t for t in self.requested_tasks if t not in provided]
            if missing:
                raise ValueError(
                    f'MultiTaskMetric(tasks=...) asks for {missing}, which '
                    f'the dataset does not provide ({META_TASKS} = '
                    f'{list(provided)})')
        for evaluator in self.evaluators.values():
            evaluator.set_dataset_meta(dataset_meta)

    # ---------------------------------------------------------- process
    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Turn each sample into small per-task statistics.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: The model's outputs, as dicts (``to_dict()``) or
                data samples.

        Raises:
            KeyError: If a sample lacks ``gt_<task>`` / ``pred_<task>``.
            ValueError: On malformed maps (the message names the image),
                or if the tasks are unknown (see :attr:`tasks`).
        """
        tasks = self.tasks
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            img_path = sample.get('img_path', '<no img_path>')
            entry: ResultEntry = {}
            for task in tasks:
                evaluator = self.evaluators[task]
                spec = evaluator.spec
                gt = _get_map(sample, spec.gt_key, img_path)
                pred = _get_map(sample, spec.pred_key, img_path)
                try:
                    entry[task] = evaluator.process_image(pred, gt)
                except ValueError as err:
                    raise ValueError(f'image {img_path!r}: {err}') from err
            self._append(entry)

    def _append(self, entry: ResultEntry) -> None:
        """Append an entry and fold the previous one's large arrays into
        ``self.results[0]`` (see the class docstring)."""
        self.results.append(entry)
        if len(self.results) < 3:
            return
        first, previous = self.results[0], self.results[-2]
        for task, evaluator in self.evaluators.items():
            for key in evaluator.fold_keys:
                first[task][key] += previous[task].pop(key)

    # ---------------------------------------------------------- compute
    def _check_folded(self, task: str, stats: Sequence[ImageStats]) -> None:
        """Check that folded arrays cover exactly the kept images.

        Raises:
            RuntimeError: If the arrays' total differs from the images'
                valid pixel count (a result entry holding folded counts was
                dropped, i.e. padding was not the last entry of a rank).
        """
        expected = int(sum(int(s['n']) for s in stats))
        for key in self.evaluators[task].fold_keys:
            total = int(sum(int(s[key].sum()) for s in stats if key in s))
            if total != expected:
                raise RuntimeError(
                    f'{task}: folded {key!r} counts {total} pixels but the '
                    f'collected images have {expected}; MultiTaskMetric '
                    'expects the sampler to pad at most the last sample of '
                    'each rank (mmengine DefaultSampler)')

    def compute_metrics(self, results: List[ResultEntry]) -> Dict[str, float]:
        """Reduce the collected statistics to the metrics.

        Args:
            results: One entry per image (after collection across ranks).

        Returns:
            dict: ``'<task>/<metric>'`` -> value, plus
            ``'multitask/delta_<task>'`` and ``'multitask/delta_m'`` when a
            baseline is configured.

        Raises:
            ValueError: If the tasks are unknown (see :attr:`tasks`).
        """
        tasks = self.tasks
        metrics: Dict[str, float] = {}
        for task in tasks:
            evaluator = self.evaluators[task]
            stats = [entry[task] for entry in results]
            self._check_folded(task, stats)
            if stats and not any(int(s['n']) for s in stats):
                print_log(
                    f'{task}: none of the {len(stats)} evaluated images '
                    f'has a valid {evaluator.spec.gt_key} pixel; the '
                    f'{task} metrics are undefined',
                    logger='current',
                    level=logging.WARNING)
            for name, value in evaluator.compute(stats).items():
                metrics[f'{task}/{name}'] = value
            if stats:
                evaluator.log_details(stats)
        metrics.update(compute_delta_m(metrics, self.baseline))
        names = {t: self.evaluators[t].metrics for t in tasks}
        print_log(
            f'multi-task results ({self.protocol} protocol):\n' +
            results_table(metrics, names, self.baseline),
            logger='current')
        print_log(
            'multi-task summary: ' +
            summary_line(metrics, tasks, self.baseline),
            logger='current')
        return metrics
