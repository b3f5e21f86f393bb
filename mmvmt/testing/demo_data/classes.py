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
from typing import Tuple

from mmvmt.datasets.facts import nyud_classes, person_class_id, voc_classes
from .scenes import NYUD_OBJECTS, NYUD_WALL_ITEMS, PASCAL_SCENES

__all__ = ['NYUD_ROOM_SURFACES', 'demo_semseg_classes']

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
