"""Draw a multi-task result: mmseg's ``show_result_pyplot`` for mmvmt.

mmseg's own ``show_result_pyplot`` builds a plain ``SegLocalVisualizer``
that draws only ``pred_sem_seg`` / ``pred_depth_map``, so it has nothing to
draw for a :class:`~mmvmt.structures.MultiTaskDataSample`. This function
takes the same arguments and draws every task with
:class:`~mmvmt.visualization.MultiTaskLocalVisualizer`.
"""
import itertools
from typing import Optional, Union

import mmcv
import numpy as np
import torch.nn as nn
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample

__all__ = ['show_result_pyplot']

_ids = itertools.count()


def show_result_pyplot(model: nn.Module,
                       img: Union[str, np.ndarray],
                       result: SegDataSample,
                       opacity: float = 0.8,
                       title: str = '',
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       wait_time: float = 0,
                       show: bool = True,
                       with_labels: Optional[bool] = True,
                       save_dir: Optional[str] = None,
                       out_file: Optional[str] = None) -> np.ndarray:
    """Draw every task of ``result`` over ``img`` (mmseg's signature).

    Args:
        model: The model (its ``dataset_meta`` gives class names).
        img: Image path, or a BGR ``uint8`` array as given to
            ``inference_model`` (mmcv's reading order).
        result: The predicted sample (``inference_model``'s result).
        opacity: Opacity of class-map colours over the image.
        title: Window / record name.
        draw_gt: Whether to draw the ground-truth row (if any).
        draw_pred: Whether to draw the prediction row.
        wait_time: Seconds a shown window stays (0: until a key).
        show: Whether to display the drawing.
        with_labels: Whether to write class names on class tiles.
        save_dir: Save folder of the visualiser's backends.
        out_file: File to write the drawing to.

    Returns:
        np.ndarray: The RGB drawing.

    Raises:
        FileNotFoundError: If ``img`` is a path that cannot be read.
    """
    model = getattr(model, 'module', model)
    if isinstance(img, str):
        image = mmcv.imread(img, channel_order='rgb')
        if image is None:
            raise FileNotFoundError(f'cannot read image {img}')
    else:
        image = mmcv.bgr2rgb(img)
    visualizer = VISUALIZERS.build(
        dict(
            type='MultiTaskLocalVisualizer',
            name=f'mmvmt_show_result_{next(_ids)}',
            vis_backends=[dict(type='LocalVisBackend')],
            save_dir=save_dir,
            alpha=opacity))
    visualizer.dataset_meta = dict(getattr(model, 'dataset_meta', {}) or {})
    visualizer.add_datasample(
        name=title,
        image=image,
        data_sample=result,
        draw_gt=draw_gt,
        draw_pred=draw_pred,
        wait_time=wait_time,
        out_file=out_file,
        show=show,
        with_labels=with_labels)
    return visualizer.get_image()
