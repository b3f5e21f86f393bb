"""Task heads."""
from .multi_scale_fusion_head import MultiScaleFusionHead

__all__ = ['MultiScaleFusionHead']
