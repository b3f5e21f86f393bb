"""NYUD-v2 multi-task benchmark (``NYUD_MT`` layout)."""
from mmseg.registry import DATASETS

from ..palettes import class_palette
from .base_multitask import BaseMultiTaskDataset, TaskAnnotation
from .facts import nyud_classes

# NYUD class 0 is 'wall': start at code 1, as black marks ignored pixels.
_PALETTE = class_palette(len(nyud_classes()), first_code=1)

__all__ = ['NYUDv2MTDataset']


@DATASETS.register_module()
class NYUDv2MTDataset(BaseMultiTaskDataset):
    """NYUD-v2 multi-task dataset: 795 train / 654 val images.

    Expected tree (the public ``NYUD_MT`` distribution)::

        NYUD_MT/
          gt_sets/{train,val}.txt
          images/<id>.jpg
          segmentation/<id>.png   # 0 unlabelled -> 255, 1..40 -> 0..39
          depth/<id>.npy          # HxW metres, 0 invalid
          normals/<id>.npy        # HxWx3 unit vectors, zero vector invalid
          edge/<id>.npy           # HxW {0, 1}

    Tasks: ``semseg``, ``depth``, ``normals`` (default) and ``edge``. See
    :class:`BaseMultiTaskDataset` for the arguments.
    """

    METAINFO = dict(
        classes=nyud_classes(),
        palette=_PALETTE,
        task_classes=dict(semseg=nyud_classes()),
        task_palettes=dict(semseg=_PALETTE))
    SPLIT_FILE = 'gt_sets/{split}.txt'
    IMG_DIR = 'images'
    IMG_SUFFIX = '.jpg'
    TASK_ANNS = dict(
        semseg=TaskAnnotation(('segmentation', ), '.png',
                              'class_png_reduce_zero'),
        depth=TaskAnnotation(('depth', ), '.npy', 'depth_npy'),
        normals=TaskAnnotation(('normals', ), '.npy', 'normals_npy'),
        edge=TaskAnnotation(('edge', ), '.npy', 'binary_npy'))
    DEFAULT_TASKS = ('semseg', 'depth', 'normals')
