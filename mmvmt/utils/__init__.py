"""Utilities: checkpoint loading under torch >= 2.6, DDP on CPU.

:mod:`mmvmt.utils.param_count` is not imported here: it imports the models,
while this package is imported before anything else.
"""
from .checkpoint_compat import (SAFE_CHECKPOINT_GLOBALS,
                                allow_runner_checkpoints)
from .dist import setup_cpu_distributed

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'allow_runner_checkpoints',
    'setup_cpu_distributed'
]
