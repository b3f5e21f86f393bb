"""PASCAL-Context multi-task benchmark (``PASCAL_MT`` layout)."""
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from ..palettes import class_palette
from .base_multitask import BaseMultiTaskDataset, TaskAnnotation
from .facts import human_parts_classes, voc_classes
from .pascal_mt_conversion import (CONVERTED_DIRS, converter_command,
                                   raw_sources)

__all__ = ['PascalContextMTDataset']


@DATASETS.register_module()
class PascalContextMTDataset(BaseMultiTaskDataset):
    """PASCAL-Context multi-task dataset: 4998 train / 5105 val images.

    Expected tree (the public ``PASCAL_MT`` distribution, after running
    ``python tools/dataset_converters/pascal_mt.py PASCAL_MT`` once)::

        PASCAL_MT/
          ImageSets/Context/{train,val}.txt
          JPEGImages/<id>.jpg
          semseg/VOC12/<id>.png           # 21 classes, 255 ignore ...
          semseg/pascal-context/<id>.png  # ... used if VOC12 lacks <id>
          sal_distill/<id>.png            # soft saliency, v/255 > 0.5
          human_parts/<id>.mat            # raw PASCAL-Part (converter input)
          normals_distill/<id>.png        # raw normals (converter input)
          pascal-context/trainval/<id>.mat  # LabelMap (converter input)
          human_parts_png/<id>.png        # converted: 0..6, 255 ignore
          normals_png/<id>.png            # converted: RGB, (0,0,0) invalid
          edge_png/<id>.png               # converted: {0, 1}

    Tasks: ``semseg``, ``human_parts``, ``sal``, ``normals`` (default) and
    ``edge``. See :class:`BaseMultiTaskDataset` for the arguments and
    :mod:`mmvmt.datasets.pascal_mt_conversion` for the conversion rules.

    Examples:
        >>> ds = PascalContextMTDataset(
        ...     data_root='data/PASCAL_MT', split='val',
        ...     tasks=('semseg', 'normals'))
        >>> ds.metainfo['task_classes']['human_parts'][1]
        'head'
    """

    METAINFO = dict(
        classes=voc_classes(),
        palette=PascalVOCDataset.METAINFO['palette'],
        task_classes=dict(
            semseg=voc_classes(), human_parts=human_parts_classes()),
        task_palettes=dict(
            semseg=PascalVOCDataset.METAINFO['palette'],
            human_parts=class_palette(len(human_parts_classes()))))
    SPLIT_FILE = 'ImageSets/Context/{split}.txt'
    IMG_DIR = 'JPEGImages'
    IMG_SUFFIX = '.jpg'
    TASK_ANNS = dict(
        semseg=TaskAnnotation(('semseg/VOC12', 'semseg/pascal-context'),
                              '.png', 'class_png'),
        human_parts=TaskAnnotation((CONVERTED_DIRS['human_parts'], ),
                                   '.png',
                                   'class_png',
                                   converted=True),
        sal=TaskAnnotation(('sal_distill', ), '.png', 'binary_png_threshold'),
        normals=TaskAnnotation((CONVERTED_DIRS['normals'], ),
                               '.png',
                               'normals_png',
                               converted=True),
        edge=TaskAnnotation((CONVERTED_DIRS['edge'], ),
                            '.png',
                            'binary_png',
                            converted=True))
    DEFAULT_TASKS = ('semseg', 'human_parts', 'sal', 'normals')
    CONVERTER = staticmethod(converter_command)
    RAW_SOURCES = staticmethod(raw_sources)
