"""Multi-task data transforms (registered in mmseg's ``TRANSFORMS``)."""
from .formatting import PackMultiTaskInputs, gt_to_chw, gt_to_tensor
from .loading import (ANN_DECODERS, LoadMultiTaskAnnotations, get_ann_decoder,
                      register_ann_decoder)
from .transforms import (MultiTaskRandomFlip, MultiTaskResize, task_maps,
                         valid_mask_np)

__all__ = [
    'ANN_DECODERS', 'LoadMultiTaskAnnotations', 'get_ann_decoder',
    'register_ann_decoder', 'MultiTaskRandomFlip', 'MultiTaskResize',
    'task_maps', 'valid_mask_np', 'PackMultiTaskInputs', 'gt_to_chw',
    'gt_to_tensor'
]
