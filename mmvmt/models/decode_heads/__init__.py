"""Task heads."""
from .hr_fusion_head import HRFusionHead
from .multi_scale_fusion_head import MultiScaleFusionHead
from .task_head import TaskHeadMixin, task_head_args

__all__ = [
    'MultiScaleFusionHead', 'HRFusionHead', 'TaskHeadMixin', 'task_head_args'
]
