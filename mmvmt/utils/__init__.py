"""Utilities."""
from .checkpoint_compat import SAFE_CHECKPOINT_GLOBALS, allow_runner_checkpoints
from .dist import setup_cpu_distributed

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'allow_runner_checkpoints',
    'setup_cpu_distributed'
]
