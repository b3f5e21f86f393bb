"""Evaluation: the multi-task benchmark metric and the trivial baselines."""
from .metrics import MultiTaskMetric
from .trivial_baselines import evaluate_trivial_baselines

__all__ = ['MultiTaskMetric', 'evaluate_trivial_baselines']
