"""Multi-task data transforms (registered in mmseg's ``TRANSFORMS``)."""
from .formatting import PackMultiTaskInputs, gt_to_chw, gt_to_tensor
from .literature import (LITERATURE_INTERPOLATION, MultiTaskAddIgnoreRegions,
                         MultiTaskFixedResize, MultiTaskScaleRotate,
                         SetOriShapeToImgShape)
from .loading import LoadMultiTaskAnnotations
from .transforms import MultiTaskRandomFlip, MultiTaskResize, task_maps

__all__ = [
    'LoadMultiTaskAnnotations', 'MultiTaskRandomFlip', 'MultiTaskResize',
    'task_maps', 'PackMultiTaskInputs', 'gt_to_chw', 'gt_to_tensor',
    'MultiTaskScaleRotate', 'MultiTaskFixedResize',
    'MultiTaskAddIgnoreRegions', 'SetOriShapeToImgShape',
    'LITERATURE_INTERPOLATION'
]
