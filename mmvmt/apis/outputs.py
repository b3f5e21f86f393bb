"""A predicted sample as numpy maps, and as the files of ``test.py --out``.

The arrays are in the units of the task table (:mod:`mmvmt.tasks`): class
ids ``H x W`` int64, probabilities ``H x W`` float32, unit normals
``H x W x 3`` float32 (x, y, z), depth ``H x W`` float32 metres.
"""
import os.path as osp
from typing import Dict, List

import numpy as np
from mmseg.structures import SegDataSample

from ..fileio import write_prediction
from ..tasks import TASKS

__all__ = ['prediction_arrays', 'write_predictions']


def _pred_chw(sample: SegDataSample, key: str) -> np.ndarray:
    """The ``(C, H, W)`` numpy prediction stored under ``key``."""
    return getattr(sample, key).data.detach().cpu().numpy()


def prediction_arrays(sample: SegDataSample) -> Dict[str, np.ndarray]:
    """Every ``pred_<task>`` of ``sample``, task-table order.

    Args:
        sample: A predicted :class:`~mmvmt.structures.MultiTaskDataSample`.

    Returns:
        dict: ``task -> H x W`` map (``H x W x 3`` for normals).

    Raises:
        ValueError: If the sample holds no prediction.
    """
    arrays = {}
    for task, spec in TASKS.items():
        if spec.pred_key in sample:
            pred = _pred_chw(sample, spec.pred_key)
            arrays[task] = pred[0] if pred.shape[0] == 1 else \
                np.ascontiguousarray(pred.transpose(1, 2, 0))
    if not arrays:
        raise ValueError('the sample holds no pred_<task> field; fields: '
                         f'{sorted(sample.keys())}')
    return arrays


def write_predictions(sample: SegDataSample, out_dir: str,
                      stem: str) -> List[str]:
    """Write each prediction to ``out_dir/<task>/<stem>.png|.npy``.

    The same writers and names as ``tools/test.py --out``
    (:class:`mmvmt.engine.hooks.MultiTaskOutputHook`), so the files are
    identical for the same image and model.

    Args:
        sample: A predicted sample.
        out_dir: Output folder.
        stem: File name without extension.

    Returns:
        list[str]: The written files.
    """
    return [
        write_prediction(task, _pred_chw(sample, spec.pred_key),
                         osp.join(out_dir, task, stem))
        for task, spec in TASKS.items() if spec.pred_key in sample
    ]
