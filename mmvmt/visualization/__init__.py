"""Visualisers and the pure colouring of task maps."""
from .colorize import (class_map_rgb, depth_reference, depth_turbo,
                       generated_palette, normals_rgb, overlay,
                       probability_gray)
from .local_visualizer import MultiTaskLocalVisualizer, class_names_and_palette

__all__ = [
    'MultiTaskLocalVisualizer', 'class_names_and_palette', 'generated_palette',
    'class_map_rgb', 'overlay', 'probability_gray', 'normals_rgb',
    'depth_reference', 'depth_turbo'
]
