"""The semantic classes the demo generator actually paints.

The demo scenes use a handful of the benchmark classes (about 10 of the 21
VOC classes, 15 of the 40 NYUD classes), so a metric averaged over every
benchmark class would mostly average classes that never occur. The demo
dataset configs therefore declare this subset as
``metainfo=dict(classes=...)`` (see
:class:`mmvmt.datasets.BaseMultiTaskDataset`), and the lists below are
read off the scene catalogues of :mod:`.scenes`, so they follow the
catalogues when those change.
"""
from typing import Dict, List, Tuple

import numpy as np

from mmvmt.datasets.facts import (human_parts_classes, nyud_classes,
                                  person_class_id, voc_classes)
from .generator import DEMO_NUM_TRAIN, DEMO_SIZE, nyud_labels, pascal_labels
from .scenes import NYUD_OBJECTS, NYUD_WALL_ITEMS, PASCAL_SCENES

__all__ = ['NYUD_ROOM_SURFACES', 'demo_semseg_classes', 'class_pixel_counts']

#: NYUD classes of the room every NYUD scene is built in (its walls, floor
#: and ceiling, painted by ``scenes._nyud_room``).
NYUD_ROOM_SURFACES: Tuple[str, ...] = ('wall', 'floor', 'ceiling')


def _in_order(used: set, classes: Tuple[str, ...]) -> Tuple[str, ...]:
    """The used names, in the benchmark's class order."""
    return tuple(name for name in classes if name in used)


def _pascal() -> Tuple[str, ...]:
    voc = voc_classes()
    # Backgrounds (sky, grass, ground, wall, floor) and Context-only kinds
    # (tree, building) label as VOC background; people are drawn in every
    # scene type.
    used = {voc[0], voc[person_class_id()]}
    used.update(kind for scene in PASCAL_SCENES for kind in scene.kinds)
    return _in_order(used, voc)


def _nyud() -> Tuple[str, ...]:
    # Objects outside the NYUD classes ('clutter') are unlabelled.
    used = set(NYUD_ROOM_SURFACES)
    used.update(name for name, _ in NYUD_WALL_ITEMS)
    used.update(NYUD_OBJECTS)
    return _in_order(used, nyud_classes())


def demo_semseg_classes(dataset: str) -> Tuple[str, ...]:
    """The semseg classes that occur in a demo set.

    Args:
        dataset: ``'pascal'`` (VOC names, in VOC order, ``'background'``
            first) or ``'nyud'`` (NYUD-40 names, in NYUD order).

    Returns:
        tuple[str]: The class names, a subset of the dataset's classes in
        the dataset's order.

    Raises:
        ValueError: On another ``dataset``.

    Examples:
        >>> demo_semseg_classes('pascal')[:2]
        ('background', 'bottle')
    """
    if dataset == 'pascal':
        return _pascal()
    if dataset == 'nyud':
        return _nyud()
    raise ValueError(f"dataset must be 'pascal' or 'nyud', got {dataset!r}")


def class_pixel_counts(dataset: str,
                       num_train: int = DEMO_NUM_TRAIN,
                       size: Tuple[int, int] = DEMO_SIZE,
                       seed: int = 0) -> Dict[str, List[int]]:
    """Pixels of each class in a demo train split (as the demo configs
    declare them for their class-balanced losses).

    Counted on the labels as the dataset reads them (valid pixels only),
    semseg in the order of :func:`demo_semseg_classes`. Nothing is written.

    Args:
        dataset: ``'pascal'`` or ``'nyud'``.
        num_train: Number of train images.
        size: ``(H, W)``.
        seed: Random seed.

    Returns:
        dict: Class task -> counts, e.g. ``{'semseg': [...],
        'human_parts': [...]}`` for PASCAL.
    """
    classes = demo_semseg_classes(dataset)
    names = voc_classes() if dataset == 'pascal' else nyud_classes()
    lut = np.full(256, -1, np.int64)
    for new, name in enumerate(classes):
        lut[names.index(name)] = new
    labels_of = pascal_labels if dataset == 'pascal' else nyud_labels
    counts = dict(semseg=np.zeros(len(classes), np.int64))
    if dataset == 'pascal':
        counts['human_parts'] = np.zeros(len(human_parts_classes()), np.int64)
    for idx in range(num_train):
        labels = labels_of(idx, size, seed)
        sem = lut[labels['semseg'][labels['semseg'] != 255]]
        if (sem < 0).any():
            raise ValueError(f'{dataset} demo image {idx} holds a class '
                             f'outside {classes}')
        counts['semseg'] += np.bincount(sem, minlength=len(classes))
        if 'human_parts' in counts:
            parts = labels['human_parts']
            counts['human_parts'] += np.bincount(
                parts[parts != 255], minlength=len(counts['human_parts']))
    return {task: c.tolist() for task, c in counts.items()}
