"""Write every task's predictions (and the metrics) to a directory."""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...datasets.transforms.loading import encode_normals
from ...tasks import BINARY, CLASS, NORMALS, TASKS

__all__ = ['MultiTaskOutputHook', 'save_task_prediction']


def save_task_prediction(task: str, pred: torch.Tensor, path_stem: str) -> str:
    """Save one prediction in the benchmark's own file format.

    Class maps as uint8 PNG ids; saliency/edge probabilities as uint8 PNG
    (``prob * 255``); normals as RGB PNG with ``v = (n + 1) / 2 * 255`` (the
    ``normals_distill`` encoding); depth as float32 ``.npy`` metres.

    Args:
        task: Task name.
        pred: The ``pred_<task>`` tensor, ``(C, H, W)``.
        path_stem: Output path without extension.

    Returns:
        str: The written file path.
    """
    kind = TASKS[task].kind
    array = pred.detach().cpu().numpy()
    if kind == CLASS:
        path = path_stem + '.png'
        mmcv.imwrite(array[0].astype(np.uint8), path)
    elif kind == BINARY:
        path = path_stem + '.png'
        mmcv.imwrite(np.round(array[0] * 255).astype(np.uint8), path)
    elif kind == NORMALS:
        path = path_stem + '.png'
        rgb = encode_normals(array.transpose(1, 2, 0))
        # mmcv.imwrite (OpenCV) expects BGR; the file holds RGB.
        mmcv.imwrite(rgb[..., ::-1], path)
    else:
        path = path_stem + '.npy'
        os.makedirs(osp.dirname(path), exist_ok=True)
        np.save(path, array[0].astype(np.float32))
    return path


@HOOKS.register_module()
class MultiTaskOutputHook(Hook):
    """Write ``pred_<task>`` of every test sample to ``out_dir/<task>/``.

    Files are named after the input image (``<stem>.png`` / ``.npy``, see
    :func:`save_task_prediction`); the final metrics go to
    ``out_dir/metrics.json``. ``tools/test.py --out DIR`` adds this hook.

    Args:
        out_dir: Output directory.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        """Save the predictions of one batch."""
        for sample in outputs or []:
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            for key in sample.keys():
                if key.startswith('pred_') and key[5:] in TASKS:
                    task = key[5:]
                    save_task_prediction(task, getattr(sample, key).data,
                                         osp.join(self.out_dir, task, stem))

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        """Write the metrics as JSON (main process only)."""
        if metrics is None or not is_main_process():
            return
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, 'metrics.json'), 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
