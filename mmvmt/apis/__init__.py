"""High-level helpers."""
from .param_count import count_parameters, group_of

__all__ = ['count_parameters', 'group_of']
