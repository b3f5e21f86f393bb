"""Prediction writers: one per task kind, in the benchmarks' own formats.

=========  ==========================================================
kind       file
=========  ==========================================================
class      ``<stem>.png``, ``uint8`` class ids
binary     ``<stem>.png``, ``uint8`` ``round(prob * 255)``
normals    ``<stem>.png``, RGB = (x, y, z), :func:`encode_normals`
depth      ``<stem>.npy``, ``float32`` HxW metres
=========  ==========================================================

Each writer takes the ``(C, H, W)`` prediction of
:meth:`mmvmt.tasks.TaskSpec.finalize` as a numpy array and a path stem
(no extension), creates the folder and returns the written path.
"""
import os
import os.path as osp

import numpy as np

from ..tasks import BINARY, CLASS, DEPTH, NORMALS, get_task
from .image_io import write_image
from .normals import encode_normals
from .registry import PREDICTION_WRITERS, get_prediction_writer

__all__ = [
    'write_class_prediction', 'write_binary_prediction',
    'write_normals_prediction', 'write_depth_prediction', 'write_prediction'
]


@PREDICTION_WRITERS.register_module(name=CLASS)
def write_class_prediction(pred: np.ndarray, path_stem: str) -> str:
    """``(1, H, W)`` class ids -> ``uint8`` png."""
    return write_image(path_stem + '.png', pred[0].astype(np.uint8))


@PREDICTION_WRITERS.register_module(name=BINARY)
def write_binary_prediction(pred: np.ndarray, path_stem: str) -> str:
    """``(1, H, W)`` probabilities -> ``uint8`` png ``round(p * 255)``."""
    return write_image(path_stem + '.png',
                       np.round(pred[0] * 255).astype(np.uint8))


@PREDICTION_WRITERS.register_module(name=NORMALS)
def write_normals_prediction(pred: np.ndarray, path_stem: str) -> str:
    """``(3, H, W)`` unit normals -> RGB png (R = x, G = y, B = z)."""
    rgb = encode_normals(pred.transpose(1, 2, 0))
    return write_image(path_stem + '.png', rgb, channel_order='rgb')


@PREDICTION_WRITERS.register_module(name=DEPTH)
def write_depth_prediction(pred: np.ndarray, path_stem: str) -> str:
    """``(1, H, W)`` metres -> ``float32`` HxW ``.npy``."""
    path = path_stem + '.npy'
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    np.save(path, pred[0].astype(np.float32))
    return path


def write_prediction(task: str, pred: np.ndarray, path_stem: str) -> str:
    """Write the prediction of ``task`` with the writer of its kind.

    Args:
        task: Task name (a key of :data:`mmvmt.tasks.TASKS`).
        pred: The ``pred_<task>`` array, ``(C, H, W)``.
        path_stem: Output path without extension.

    Returns:
        str: The written file path.
    """
    return get_prediction_writer(get_task(task).kind)(pred, path_stem)
