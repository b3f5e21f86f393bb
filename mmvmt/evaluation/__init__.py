"""Evaluation: the multi-task benchmark metric."""
from .metrics import MultiTaskMetric

__all__ = ['MultiTaskMetric']
