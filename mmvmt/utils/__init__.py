"""Utilities."""
from .checkpoint_compat import SAFE_CHECKPOINT_GLOBALS, allow_runner_checkpoints

__all__ = ['SAFE_CHECKPOINT_GLOBALS', 'allow_runner_checkpoints']
