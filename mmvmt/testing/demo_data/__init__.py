"""Tiny synthetic PASCAL_MT / NYUD_MT sets with consistent multi-task labels.

Each image is a rendered 3-D scene: a pinhole camera above a ground plane
(outdoors: sky and grass; indoors: walls, floor and ceiling) with a few
objects standing on the ground, people built from body-part primitives. A
depth buffer decides which primitive owns each pixel, and every label is
read off that one rendering: semantic classes, human parts, a salient
foreground, surface normals (x right, y up, z towards the camera), depth
(metres along the optical axis), edges.

Modules: :mod:`.renderer` (the depth-buffered renderer), :mod:`.scenes`
(scene catalogues as data tables), :mod:`.writers` (raw-format files),
:mod:`.generator` (the seeded generators) and :mod:`.classes` (the semseg
classes the scenes use and their pixel counts); the generators,
:func:`~.classes.demo_semseg_classes` and
:func:`~.classes.class_pixel_counts` are re-exported here.
"""
from .classes import class_pixel_counts, demo_semseg_classes
from .generator import (DEMO_NUM_TRAIN, DEMO_NUM_VAL, DEMO_SIZE,
                        generate_demo_data, generate_nyud_mt,
                        generate_pascal_mt)

__all__ = [
    'DEMO_NUM_TRAIN', 'DEMO_NUM_VAL', 'DEMO_SIZE', 'generate_pascal_mt',
    'generate_nyud_mt', 'generate_demo_data', 'demo_semseg_classes',
    'class_pixel_counts'
]
