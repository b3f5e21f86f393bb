"""Helpers shared by the evaluation tests."""
from typing import Callable, Dict

import numpy as np
import pytest
import torch

from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import get_task


def make_sample(img_path: str, gts: Dict[str, torch.Tensor],
                preds: Dict[str, torch.Tensor]) -> dict:
    """A data sample as mmengine hands it to a metric (``to_dict()``)."""
    sample = MultiTaskDataSample(metainfo=dict(img_path=img_path))
    for task, gt in gts.items():
        sample.set_task_gt(task, gt)
    for task, pred in preds.items():
        sample.set_task_pred(task, pred)
    return sample.to_dict()


#: The tasks of the PASCAL-Context multi-task benchmark.
PASCAL_TASKS = ('semseg', 'human_parts', 'sal', 'normals')


def random_pascal_sample(rng: np.random.Generator,
                         idx: int,
                         height: int,
                         width: int,
                         tasks=PASCAL_TASKS) -> dict:
    """A random sample with ignore regions for the given tasks."""
    gts, preds = {}, {}

    def labels(num, ignore):
        gt = rng.integers(0, num, (1, height, width))
        gt[rng.random((1, height, width)) < 0.1] = ignore
        return torch.from_numpy(gt), torch.from_numpy(
            rng.integers(0, num, (1, height, width)))

    if 'semseg' in tasks:
        gts['semseg'], preds['semseg'] = labels(
            21,
            get_task('semseg').ignore_value)
    if 'human_parts' in tasks:
        ignore = get_task('human_parts').ignore_value
        gts['human_parts'], preds['human_parts'] = labels(7, ignore)
        if idx % 3 == 0:  # an image without people
            gts['human_parts'][:] = ignore
    for task in ('sal', 'edge'):
        if task in tasks:
            gts[task], _ = labels(2, get_task(task).ignore_value)
            preds[task] = torch.from_numpy(
                rng.random((1, height, width)).astype(np.float32))
    if 'normals' in tasks:
        normal = rng.normal(size=(3, height, width))
        normal /= np.linalg.norm(normal, axis=0)
        pred = normal + 0.5 * rng.normal(size=normal.shape)
        normal[:, rng.random(
            (height, width)) < 0.1] = get_task('normals').ignore_value
        gts['normals'] = torch.from_numpy(normal.astype(np.float32))
        preds['normals'] = torch.from_numpy(pred.astype(np.float32))
    if 'depth' in tasks:
        depth = rng.random((1, height, width)) * 5
        depth[depth < 0.5] = 0
        gts['depth'] = torch.from_numpy(depth.astype(np.float32))
        preds['depth'] = torch.from_numpy((rng.random(
            (1, height, width)) * 5).astype(np.float32))
    return make_sample(f'img_{idx}.jpg', gts, preds)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(0)


def nbytes(obj) -> int:
    """Bytes held by numpy arrays / scalars inside nested containers."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(v) for v in obj)
    if isinstance(obj, torch.Tensor):
        raise AssertionError('tensors must not be stored in results')
    return 0


@pytest.fixture
def sample_factory() -> Callable:
    """:func:`make_sample`."""
    return make_sample


@pytest.fixture
def random_sample() -> Callable:
    """:func:`random_pascal_sample`."""
    return random_pascal_sample


@pytest.fixture
def results_nbytes() -> Callable:
    """:func:`nbytes`."""
    return nbytes
