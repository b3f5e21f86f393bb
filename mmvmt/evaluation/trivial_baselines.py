"""Trivial predictors of a config's data: the floor a model has to clear.

A multi-task score means little without the score of a predictor that
never looks at the image. :func:`evaluate_trivial_baselines` fits these
predictors on the config's train set and scores them with the config's own
:class:`~mmvmt.evaluation.MultiTaskMetric` (its evaluator config without
the baseline: no delta_m), on the train and on the val set:

* class maps: the training set's majority class everywhere (the
  background of PASCAL's semseg and human parts; NYUD's most frequent
  class);
* binary maps (saliency, edges): probability 0 everywhere;
* normals and depth: the image-blind per-pixel prior, the mean of the valid
  training maps at each pixel (normals then L2-normalised; where no
  training map is valid, the mean over all valid pixels).

Predictions are made at each image's ground-truth size, as the model's are.
Maps of different sizes are brought to the first training map's size for
the prior, and the prior back to each image's size, by nearest-neighbour
resizing.
"""
import copy
import logging
from contextlib import contextmanager
from typing import Dict, Iterator, Mapping, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from ..tasks import BINARY, CLASS, TaskSpec, get_task
from .metrics import MultiTaskMetric

__all__ = [
    'PREDICTOR', 'SPLITS', 'evaluate_trivial_baselines', 'fit_priors',
    'predict'
]

#: Name of the combined trivial predictor; the results are keyed
#: ``f'{PREDICTOR}_{split}'``, e.g. ``'trivial_val'``.
PREDICTOR = 'trivial'
#: The splits scored, by their config loader (``<split>_dataloader``).
SPLITS = ('train', 'val')

#: Per task: the majority class id (class maps) or an ``(H, W)`` /
#: ``(H, W, C)`` float32 prior map (normals, depth); binary maps need none.
Priors = Dict[str, object]


def _resize_nearest(array: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of the first two axes."""
    if array.shape[:2] == tuple(size):
        return array
    rows = (np.arange(size[0]) * array.shape[0]) // size[0]
    cols = (np.arange(size[1]) * array.shape[1]) // size[1]
    return array[rows[:, None], cols[None, :]]


def _as_chw(gt: np.ndarray) -> np.ndarray:
    return gt[None] if gt.ndim == 2 else gt.transpose(2, 0, 1)


def _valid(spec: TaskSpec, gt: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool mask of the valid pixels of a pipeline map."""
    return spec.valid_mask(_as_chw(gt))[0]


def _dataset_cfg(cfg: Config, split: str) -> dict:
    """The split's dataset config, its pipeline loading annotations only."""
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'config {cfg.filename!r} has no {key!r}')
    ds_cfg = copy.deepcopy(cfg[key]['dataset'])
    while 'dataset' in ds_cfg:  # RepeatDataset and other wrappers
        ds_cfg = ds_cfg['dataset']
    if 'datasets' in ds_cfg:
        raise ValueError(f'{key}.dataset of config {cfg.filename!r} '
                         'concatenates datasets; trivial baselines need one '
                         'multi-task dataset')
    ds_cfg['pipeline'] = [dict(type='LoadMultiTaskAnnotations')]
    return ds_cfg


def _build_dataset(cfg: Config, split: str):
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        dataset = DATASETS.build(_dataset_cfg(cfg, split))
    if not dataset.metainfo.get('tasks'):
        raise ValueError(f'{split} dataset of config {cfg.filename!r} lists '
                         "no 'tasks' in its metainfo (an mmvmt multi-task "
                         'dataset does)')
    return dataset


def _samples(dataset) -> Iterator[dict]:
    for i in range(len(dataset)):
        yield dataset[i]


def fit_priors(dataset) -> Priors:
    """Fit the trivial predictors on a (training) dataset.

    Args:
        dataset: An mmvmt multi-task dataset whose pipeline loads the
            annotations (``gt_<task>`` maps).

    Returns:
        dict: Task -> majority class id (class maps), prior map (normals,
        depth) or None (binary maps).

    Raises:
        ValueError: If a class or regression task has no valid training
            pixel, or a class id exceeds the dataset's class list.
    """
    tasks = dataset.metainfo['tasks']
    task_classes = dataset.metainfo.get('task_classes') or {}
    counts: Dict[str, np.ndarray] = {}
    sums: Dict[str, np.ndarray] = {}
    hits: Dict[str, np.ndarray] = {}
    for results in _samples(dataset):
        for task in tasks:
            spec = get_task(task)
            gt = results[spec.gt_key]
            valid = _valid(spec, gt)
            if spec.kind == CLASS:
                num = len(task_classes.get(task) or ()) or 256
                ids = gt[valid].astype(np.int64)
                if ids.size and ids.max() >= num:
                    raise ValueError(
                        f'{task}: class id {ids.max()} in '
                        f'{results.get(spec.path_key)} but the dataset has '
                        f'{num} classes')
                counts[task] = counts.get(task, 0) + np.bincount(
                    ids, minlength=num)
            elif spec.kind != BINARY:
                if task not in sums:
                    sums[task] = np.zeros(gt.shape, np.float64)
                    hits[task] = np.zeros(gt.shape[:2], np.float64)
                size = sums[task].shape[:2]
                values = _resize_nearest(gt.astype(np.float64), size)
                mask = _resize_nearest(valid, size)
                values[~mask] = 0
                sums[task] += values
                hits[task] += mask
    priors: Priors = {}
    for task in tasks:
        spec = get_task(task)
        if spec.kind == BINARY:
            priors[task] = None
        elif spec.kind == CLASS:
            if task not in counts or not counts[task].any():
                raise ValueError(f'{task}: no valid training pixel')
            priors[task] = int(np.argmax(counts[task]))
        else:
            priors[task] = _mean_map(spec, sums.get(task), hits.get(task))
    return priors


def _mean_map(spec: TaskSpec, total, hits) -> np.ndarray:
    """Per-pixel mean of the valid values, the global mean where none."""
    if total is None or not hits.any():
        raise ValueError(f'{spec.name}: no valid training pixel')
    per_channel = total.reshape(hits.shape + (-1, ))
    overall = per_channel.sum((0, 1)) / hits.sum()
    mean = np.where(hits[..., None] > 0,
                    per_channel / np.maximum(hits, 1)[..., None], overall)
    if spec.gt_channels == 3:  # normals: unit vectors
        norm = np.linalg.norm(mean, axis=-1, keepdims=True)
        fallback = overall / max(np.linalg.norm(overall), 1e-12)
        mean = np.where(norm > 1e-6, mean / np.maximum(norm, 1e-12), fallback)
    return mean.reshape(total.shape).astype(np.float32)


def predict(task: str, prior, size: Tuple[int, int]) -> torch.Tensor:
    """The trivial prediction of one image, in the metric's layout.

    Args:
        task: Task name.
        prior: The task's entry of :func:`fit_priors`.
        size: ``(H, W)`` of the image's ground truth.

    Returns:
        Tensor: ``(1, H, W)`` int64 class ids, ``(1, H, W)`` float
        probabilities, ``(3, H, W)`` normals or ``(1, H, W)`` depth.
    """
    spec = get_task(task)
    if spec.kind == CLASS:
        return torch.full((1, ) + tuple(size), int(prior), dtype=torch.int64)
    if spec.kind == BINARY:
        return torch.zeros((1, ) + tuple(size))
    return torch.from_numpy(_as_chw(_resize_nearest(prior, size)).copy())


def _metric(cfg: Config) -> MultiTaskMetric:
    """The config's MultiTaskMetric without baseline (no delta_m)."""
    evaluators = cfg.get('val_evaluator')
    if isinstance(evaluators, Mapping):
        evaluators = [evaluators]
    for ev in evaluators or []:
        if ev.get('type') in ('MultiTaskMetric', MultiTaskMetric):
            kwargs = {k: v for k, v in ev.items() if k != 'type'}
            kwargs.pop('baseline', None)
            return MultiTaskMetric(**kwargs)
    raise ValueError(f'config {cfg.filename!r}: val_evaluator has no '
                     f'MultiTaskMetric (got {evaluators!r})')


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep the metric's INFO tables out of the current log."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _score(cfg: Config, dataset, priors: Priors) -> Dict[str, float]:
    metric = _metric(cfg)
    metric.dataset_meta = dataset.metainfo
    tasks = metric.tasks
    for results in _samples(dataset):
        sample: dict = dict(img_path=results.get('img_path'))
        for task in tasks:
            spec = get_task(task)
            gt = results[spec.gt_key]
            sample[spec.gt_key] = dict(data=torch.from_numpy(_as_chw(gt)))
            sample[spec.pred_key] = dict(
                data=predict(task, priors[task], gt.shape[:2]))
        metric.process({}, [sample])
    with _quiet():
        return metric.evaluate(len(dataset))


def evaluate_trivial_baselines(cfg: Config) -> Dict[str, Dict[str, float]]:
    """Score the trivial predictors on the config's train and val sets.

    The predictors are fitted on the train set (see the module docstring)
    and scored by the config's ``val_evaluator`` (a ``MultiTaskMetric``,
    its ``baseline`` dropped), on the datasets of ``train_dataloader`` and
    ``val_dataloader`` with a pipeline that only loads the annotations.

    Args:
        cfg: A multi-task config (e.g. ``configs/vmt/swin-t_pascal_demo.py``).

    Returns:
        dict: ``{'trivial_train': metrics, 'trivial_val': metrics}``, each
        ``{metric key: value}`` with the keys ``tools/test.py`` writes into
        ``metrics.json`` (e.g. ``'semseg/mIoU'``, ``'normals/mean'``).

    Raises:
        KeyError: If the config lacks a loader.
        ValueError: If the config's data or evaluator do not fit (the
            message names the config and what was expected).
    """
    datasets = {split: _build_dataset(cfg, split) for split in SPLITS}
    priors = fit_priors(datasets['train'])
    return {
        f'{PREDICTOR}_{split}': _score(cfg, dataset, priors)
        for split, dataset in datasets.items()
    }
