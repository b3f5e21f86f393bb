"""Visualisers."""
from .local_visualizer import MultiTaskLocalVisualizer, generated_palette

__all__ = ['MultiTaskLocalVisualizer', 'generated_palette']
