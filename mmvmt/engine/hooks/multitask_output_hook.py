"""Write every task's predictions (and the metrics) to a directory."""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...fileio import write_prediction
from ...tasks import TASKS
from ...utils.checkpoint_io import named_os_error

__all__ = ['MultiTaskOutputHook']


@HOOKS.register_module()
class MultiTaskOutputHook(Hook):
    """Write ``pred_<task>`` of every test sample to ``out_dir/<task>/``.

    Files are named after the input image (``<stem>.png`` / ``.npy``, in
    the formats of :mod:`mmvmt.fileio.prediction_writers`); the final
    metrics go to ``out_dir/metrics.json``. ``tools/test.py --out DIR``
    adds this hook.

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
                    pred = getattr(sample, key).data.detach().cpu().numpy()
                    base = osp.join(self.out_dir, task, stem)
                    try:
                        write_prediction(task, pred, base)
                    except OSError as err:  # e.g. no space left on device
                        raise named_os_error(
                            err, err.filename or f'{base}.*',
                            f'writing the {task} prediction') from err

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        """Write the metrics as JSON (main process only)."""
        if metrics is None or not is_main_process():
            return
        path = osp.join(self.out_dir, 'metrics.json')
        try:
            os.makedirs(self.out_dir, exist_ok=True)
            with open(path, 'w') as f:
                json.dump({
                    k: float(v)
                    for k, v in metrics.items()
                },
                          f,
                          indent=2)
        except OSError as err:
            raise named_os_error(err, path, 'writing the metrics') from err
