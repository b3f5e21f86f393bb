"""Adapters that make a frozen backbone multi-task."""
from .task_extraction import BaseTaskExtraction, TaskScaleShift
from .vmt_adapter import VMTAdapter

__all__ = ['BaseTaskExtraction', 'TaskScaleShift', 'VMTAdapter']
