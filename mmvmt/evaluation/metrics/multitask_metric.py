"""``MultiTaskMetric``: every task's benchmark metrics plus delta_m."""
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmseg.registry import METRICS
from prettytable import PrettyTable
from torch import Tensor

from ...tasks import check_tasks, get_task
from .base_task_evaluator import BaseTaskEvaluator, ImageStats
from .builder import build_task_evaluator
from .delta_m import compute_delta_m, parse_baseline

__all__ = ['MultiTaskMetric']

#: Per-image result entry: task -> that task's statistics.
ResultEntry = Dict[str, ImageStats]


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
    MTLoRA); see each task evaluator for the exact definition:

    * class maps: ``<task>/mIoU``, ``<task>/aAcc`` (%)
      (:class:`ClassTaskEvaluator`);
    * saliency: ``sal/mIoU``, ``sal/maxF`` (%) (:class:`SaliencyEvaluator`);
    * normals: ``normals/mean``, ``normals/median``, ``normals/rmse``
      (degrees), ``normals/11.25``, ``normals/22.5``, ``normals/30`` (%)
      (:class:`NormalsEvaluator`);
    * depth: ``depth/rmse`` (m), ``depth/abs_rel``, ``depth/log_rmse``
      (:class:`DepthEvaluator`);
    * edges: ``edge/odsF`` (%), an approximation of SEISM's ODS F-measure
      (:class:`EdgeEvaluator`).

    With a ``baseline``: ``multitask/delta_<task>`` and ``multitask/delta_m``
    (percent), ``delta_m = 1/T sum_t s_t (M_t - B_t) / B_t * 100`` over the
    T tasks that have a baseline, ``s_t = +1`` if higher is better else -1.
    Keys carry no extra prefix unless ``prefix`` is given. Select the best
    checkpoint with ``CheckpointHook(save_best='multitask/delta_m',
    rule='greater')`` (mmengine cannot infer the rule from that name).

    Input contract (per data sample; mmengine passes ``to_dict()`` copies,
    data samples themselves are accepted too): ``gt_<task>`` and
    ``pred_<task>``, each with a ``data`` tensor of shape ``(C, H, W)`` at
    the same (original image) resolution:

    * class maps (``semseg``, ``human_parts``): pred ``(1, H, W)`` integer
      class ids in ``[0, C)``; gt class ids, 255 = ignore.
    * ``sal``, ``edge``: pred ``(1, H, W)`` foreground probability in
      ``[0, 1]``; gt in ``{0, 1}``, 255 = ignore.
    * ``normals``: pred ``(3, H, W)`` vectors (normalised here); gt unit
      vectors, invalid where all channels are 255 or the vector is zero.
    * ``depth``: pred ``(1, H, W)`` metres; gt metres, 0 = invalid.

    Ignored / invalid ground-truth pixels are excluded from every count.
    A missing field raises ``KeyError`` naming the key and ``img_path``;
    malformed maps raise ``ValueError`` naming the image.

    Memory: ``process`` keeps per image only small fixed-size statistics
    (see the evaluators). Large summable arrays (confusion matrices, the
    normals error histogram) of all images but the newest are added into
    the first entry of ``self.results``. mmengine's ``collect_results``
    drops the dataloader's padding samples, which are always the last entry
    of a rank, so the folding stays exact in distributed runs; a consistency
    check in :meth:`compute_metrics` raises if that assumption is broken.

    Class names: ``dataset_meta['task_classes'][task]``, else
    ``dataset_meta['classes']`` for ``semseg``, else numeric names from the
    task's ``num_classes`` option.

    Args:
        tasks: Tasks to evaluate, e.g. ``('semseg', 'human_parts', 'sal',
            'normals')``.
        baseline: Optional single-task baselines, task -> value of the
            task's primary metric (``TaskSpec.metric``), or
            ``dict(metric='maxF', value=...)``. Tasks without a baseline
            (e.g. ``edge``) are left out of delta_m.
        task_options: Task -> keyword options of its evaluator, e.g.
            ``dict(semseg=dict(num_classes=21), edge=dict(max_dist=0.011),
            depth=dict(log_min_pred=1e-9))``.
        collect_device: ``'cpu'`` or ``'gpu'``, as :class:`BaseMetric`.
        prefix: Optional prefix added before every key.
        collect_dir: As :class:`BaseMetric`.

    Raises:
        KeyError: On an unknown task name.
        ValueError: On duplicate tasks, options or baselines for tasks that
            are not evaluated, or a malformed baseline.
        TypeError: On an option the task's evaluator does not take.

    Examples:
        >>> metric = MultiTaskMetric(
        ...     tasks=('semseg', 'human_parts', 'sal', 'normals'),
        ...     baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35,
        ...                   normals=17.97))
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 tasks: Union[str, Sequence[str]],
                 baseline: Optional[Dict[str, Union[float, dict]]] = None,
                 task_options: Optional[Dict[str, dict]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        # Keys are already '<task>/<metric>': a placeholder silences
        # BaseMetric's "prefix is not set" warning, then the real one.
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or 'multitask',
            collect_dir=collect_dir)
        self.prefix = prefix
        self.tasks = check_tasks(tasks, owner='MultiTaskMetric')
        task_options = dict(task_options or {})
        extra = [t for t in task_options if t not in self.tasks]
        if extra:
            raise ValueError(f'task_options given for {extra}, which are not '
                             f'evaluated (tasks: {list(self.tasks)})')
        self.evaluators: Dict[str, BaseTaskEvaluator] = {
            task: build_task_evaluator(task, task_options.get(task))
            for task in self.tasks
        }
        self.baseline = parse_baseline(
            baseline or {}, {t: get_task(t).metric
                             for t in self.tasks},
            {t: ev.metrics
             for t, ev in self.evaluators.items()})

    @property
    def dataset_meta(self) -> Optional[dict]:
        """The dataset meta info; setting it updates the class names."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        for evaluator in self.evaluators.values():
            evaluator.set_dataset_meta(dataset_meta)

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Turn each sample into small per-task statistics.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: The model's outputs, as dicts (``to_dict()``) or
                data samples.

        Raises:
            KeyError: If a sample lacks ``gt_<task>`` / ``pred_<task>``.
            ValueError: On malformed maps (the message names the image).
        """
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            img_path = sample.get('img_path', '<no img_path>')
            entry: ResultEntry = {}
            for task, evaluator in self.evaluators.items():
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
        """
        metrics: Dict[str, float] = {}
        for task, evaluator in self.evaluators.items():
            stats = [entry[task] for entry in results]
            self._check_folded(task, stats)
            for name, value in evaluator.compute(stats).items():
                metrics[f'{task}/{name}'] = value
            if stats:
                evaluator.log_details(stats)
        metrics.update(compute_delta_m(metrics, self.baseline))
        self._log_summary(metrics)
        return metrics

    def _log_summary(self, metrics: Dict[str, float]) -> None:
        """Log a table of every metric and a one-line summary."""
        table = PrettyTable(['Task', 'Metric', 'Value', 'Baseline', 'Delta'])
        for task in self.tasks:
            entry = self.baseline.get(task)
            for name in self.evaluators[task].metrics:
                has_base = entry is not None and entry.metric == name
                table.add_row([
                    task, name, f'{metrics[f"{task}/{name}"]:.2f}',
                    f'{entry.value:.2f}' if has_base else '',
                    f'{metrics[f"multitask/delta_{task}"]:+.2f}%'
                    if has_base else ''
                ])
        print_log('multi-task results:\n' + table.get_string(),
                  logger='current')
        parts = []
        for task in self.tasks:
            name = (self.baseline[task].metric
                    if task in self.baseline else get_task(task).metric)
            parts.append(f'{task}/{name}: {metrics[f"{task}/{name}"]:.2f}')
        if 'multitask/delta_m' in metrics:
            parts.append(f'delta_m: {metrics["multitask/delta_m"]:+.2f}%')
        print_log('multi-task summary: ' + ' | '.join(parts),
                  logger='current')
