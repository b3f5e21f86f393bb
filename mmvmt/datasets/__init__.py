"""Multi-task datasets, their loading/augmentation transforms and tools."""
from .base_multitask import BaseMultiTaskDataset, TaskAnnotation
from .nyud_mt import NYUDv2MTDataset
from .pascal_context_mt import PascalContextMTDataset
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all

__all__ = [
    'BaseMultiTaskDataset', 'TaskAnnotation', 'NYUDv2MTDataset',
    'PascalContextMTDataset'
]
__all__ += _transforms_all
