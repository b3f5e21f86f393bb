"""PASCAL MATLAB files: PASCAL-Part annotations and PASCAL-Context maps.

PASCAL-Part ``human_parts/<id>.mat``: ``loadmat(f)['anno'][0][0]`` is
``(imname, objects)``; ``objects[0]`` lists the objects (an empty array if
there are none). Object ``o``: ``o[0][0]`` class name, ``o[1][0][0]`` VOC
class id, ``o[2]`` HxW instance mask, ``o[3]`` parts (empty if none); part
``p = o[3][0][i]``: ``p[0][0]`` part name, ``p[1]`` HxW part mask.

PASCAL-Context ``pascal-context/trainval/<id>.mat``: ``LabelMap`` holds
the HxW class ids of the 459-class list.

The converter reads these files, the demo generator writes them and the
tests write hand-made ones, all through this module.
"""
import os.path as osp
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np
import scipy.io

__all__ = [
    'PartObject', 'read_pascal_part_mat', 'write_pascal_part_mat',
    'read_label_map', 'write_label_map'
]

_OBJ_DTYPE = [('class', 'O'), ('class_ind', 'O'), ('mask', 'O'),
              ('parts', 'O')]
_PART_DTYPE = [('part_name', 'O'), ('mask', 'O')]
_ANNO_DTYPE = [('imname', 'O'), ('objects', 'O')]


class PartObject(NamedTuple):
    """One object of a PASCAL-Part annotation.

    Args:
        class_name: VOC class name, e.g. ``'person'``.
        class_id: VOC class id (15 = person).
        mask: HxW instance mask.
        parts: ``(part name, HxW mask)`` pairs, in file order.
    """

    class_name: str
    class_id: int
    mask: np.ndarray
    parts: Tuple[Tuple[str, np.ndarray], ...] = ()


def _loadmat(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    try:
        return scipy.io.loadmat(path)
    except Exception as e:
        raise ValueError(f'cannot read MATLAB file {path}: {e}') from e


def _struct(dtype: list, rows: Sequence[tuple]) -> np.ndarray:
    """A 1xN MATLAB struct array (0x0 double when empty, as MATLAB)."""
    if not rows:
        return np.zeros((0, 0))
    arr = np.zeros((1, len(rows)), dtype=dtype)
    for i, row in enumerate(rows):
        arr[0, i] = row
    return arr


def _text(field: np.ndarray) -> str:
    return str(field[0]) if np.size(field) else ''


def read_pascal_part_mat(path: str) -> List[PartObject]:
    """Read the objects of a PASCAL-Part annotation file.

    Args:
        path: ``human_parts/<id>.mat``.

    Returns:
        list[PartObject]: The objects in file order; masks are ``bool``.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it is no MATLAB file or does not follow the layout;
            the message names the file.
    """
    mat = _loadmat(path)
    try:
        objects = mat['anno'][0][0][1]
        objects = objects[0] if objects.size else []
        out = []
        for obj in objects:
            parts = obj[3]
            parts = tuple((str(p[0][0]), np.asarray(p[1]).astype(bool))
                          for p in (parts[0] if parts.size else []))
            out.append(
                PartObject(
                    class_name=_text(obj[0]),
                    class_id=int(obj[1][0][0]),
                    mask=np.asarray(obj[2]).astype(bool),
                    parts=parts))
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise ValueError(f'{path} does not follow the PASCAL-Part layout: '
                         f'{e}') from e
    return out


def write_pascal_part_mat(path: str, img_id: str,
                          objects: Sequence[PartObject]) -> None:
    """Write a PASCAL-Part annotation file (compressed MAT 5).

    Args:
        path: Output ``.mat`` file.
        img_id: Image id stored as ``imname``.
        objects: The objects; masks are stored as ``uint8``.
    """
    rows = [(obj.class_name, np.array([[obj.class_id]], np.uint8),
             np.asarray(obj.mask).astype(np.uint8),
             _struct(_PART_DTYPE, [(name, np.asarray(mask).astype(np.uint8))
                                   for name, mask in obj.parts]))
            for obj in objects]
    anno = np.zeros((1, 1), dtype=_ANNO_DTYPE)
    anno[0, 0] = (img_id, _struct(_OBJ_DTYPE, rows))
    scipy.io.savemat(path, {'anno': anno}, do_compression=True)


def read_label_map(path: str) -> np.ndarray:
    """Read the ``LabelMap`` (PASCAL-Context ids) of ``<id>.mat``.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it is no MATLAB file or holds no 2-D ``LabelMap``.
    """
    mat = _loadmat(path)
    if 'LabelMap' not in mat or np.ndim(mat['LabelMap']) != 2:
        raise ValueError(f'{path} holds no 2-D LabelMap')
    return mat['LabelMap']


def write_label_map(path: str, label_map: np.ndarray) -> None:
    """Write a PASCAL-Context ``LabelMap`` file (compressed MAT 5)."""
    scipy.io.savemat(path, {'LabelMap': label_map}, do_compression=True)
