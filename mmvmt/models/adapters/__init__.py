"""Adapters that make a frozen backbone multi-task."""
from .task_extraction import BaseTaskExtraction, TaskScaleShift
from .vmt_adapter import AdapterOutput, VMTAdapter

__all__ = [
    'AdapterOutput', 'BaseTaskExtraction', 'TaskScaleShift', 'VMTAdapter'
]
