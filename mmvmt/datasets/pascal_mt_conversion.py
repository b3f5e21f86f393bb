"""Convert the raw PASCAL_MT annotations into fast png maps, once.

Three PASCAL-Context multi-task labels are stored in slow raw formats
(MATLAB files that the reference loaders parse at every step). This module
turns them into pngs that :class:`~mmvmt.datasets.PascalContextMTDataset`
reads with plain image decoding:

=================  =======================================  ===============
converted folder   from (raw PASCAL_MT)                     png content
=================  =======================================  ===============
``human_parts_png``  ``human_parts/<id>.mat`` (PASCAL-Part)  uint8 0..6,
                                                             255 ignore
``normals_png``      ``normals_distill/<id>.png`` +          RGB uint8,
                     ``pascal-context/trainval/<id>.mat``    (0, 0, 0) =
                                                             invalid
``edge_png``         ``pascal-context/trainval/<id>.mat``    uint8 {0, 1}
=================  =======================================  ===============

Rules (the reference loaders of ASTMT / MTI-Net):

* **Human parts.** Only person objects (VOC class 15) with a non-empty parts
  list count; their parts are written in file order onto a zero map with
  :func:`mmvmt.datasets.facts.part_name_to_class` (later parts overwrite
  earlier ones; person pixels covered by no part, other objects and
  persons without parts stay background 0). An image without any such
  person has no human-part labels: all 255.
* **Normals.** The distilled normals png is kept where the ``LabelMap``
  class is one of :func:`~mmvmt.datasets.facts.normals_valid_context_ids`
  and set to (0, 0, 0) elsewhere, the reserved "invalid" code of
  :mod:`mmvmt.fileio.normals` (the ``normals_png`` decoder turns it into
  the zero vector).
* **Edges.** :func:`~mmvmt.datasets.edges.label_map_edges` of the
  ``LabelMap`` (Laplacian + thinning).

The ``.mat`` files are read with :mod:`mmvmt.fileio.pascal_mat`.

Usage: ``python tools/dataset_converters/pascal_mt.py PASCAL_MT_ROOT
[--nproc N] [--skip-bad]``. With ``--skip-bad`` an image whose raw files are
missing or corrupt is skipped (nothing is written for it, stale maps of an
earlier run are removed) and listed at the end, instead of stopping the
conversion.
"""
import os
import os.path as osp
from functools import partial
from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..fileio import read_label_map, read_pascal_part_mat, write_image
from .edges import label_map_edges
from .facts import (normals_valid_context_ids, part_name_to_class,
                    person_class_id)

__all__ = [
    'CONVERTED_DIRS', 'CONVERTER_SCRIPT', 'RAW_DIRS', 'converter_command',
    'read_split_ids', 'human_parts_from_mat', 'mask_normals', 'convert_image',
    'convert_pascal_mt', 'Conversion', 'raw_sources'
]

#: Converted folder of each task, relative to the PASCAL_MT root.
CONVERTED_DIRS = dict(
    human_parts='human_parts_png', normals='normals_png', edge='edge_png')

#: Raw inputs of the converter, relative to the PASCAL_MT root.
RAW_DIRS = dict(
    human_parts='human_parts',
    normals='normals_distill',
    label_map=osp.join('pascal-context', 'trainval'),
    splits=osp.join('ImageSets', 'Context'))

#: The converter script, relative to the repository root.
CONVERTER_SCRIPT = 'tools/dataset_converters/pascal_mt.py'

#: The benchmark's splits, in the order the converter walks them.
SPLITS = ('train', 'val')


def raw_sources(root: str, task: str, img_id: str) -> List[str]:
    """The raw files a converted map of ``task`` is made from.

    Args:
        root: PASCAL_MT root.
        task: A task of :data:`CONVERTED_DIRS`.
        img_id: Image id.

    Returns:
        list[str]: Raw paths (empty for a task that is not converted).
    """
    label_map = osp.join(root, RAW_DIRS['label_map'], f'{img_id}.mat')
    if task == 'human_parts':
        return [osp.join(root, RAW_DIRS['human_parts'], f'{img_id}.mat')]
    if task == 'normals':
        return [
            osp.join(root, RAW_DIRS['normals'], f'{img_id}.png'), label_map
        ]
    if task == 'edge':
        return [label_map]
    return []


def converter_command(root: str) -> str:
    """The command line that converts the PASCAL_MT tree at ``root``."""
    return f'python {CONVERTER_SCRIPT} {root}'


def read_split_ids(root: str, splits: Sequence[str] = SPLITS) -> List[str]:
    """Image ids listed in ``ImageSets/Context/<split>.txt``, in order.

    Args:
        root: PASCAL_MT root.
        splits: Split names.

    Returns:
        list[str]: Ids of all splits, duplicates removed.

    Raises:
        FileNotFoundError: If a split file is missing.
    """
    ids: List[str] = []
    for split in splits:
        path = osp.join(root, RAW_DIRS['splits'], f'{split}.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'PASCAL_MT split file {path} not found')
        with open(path) as f:
            ids.extend(line.strip() for line in f if line.strip())
    return list(dict.fromkeys(ids))


def human_parts_from_mat(path: str, shape: Tuple[int, int]) -> np.ndarray:
    """Human-part label map from a PASCAL-Part annotation file.

    Args:
        path: ``human_parts/<id>.mat`` (layout: see
            :mod:`mmvmt.fileio.pascal_mat`).
        shape: ``(H, W)`` of the image.

    Returns:
        np.ndarray: ``uint8`` HxW map in 0..6, or all 255 when no person
        object has parts.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If the file does not follow the PASCAL-Part layout, has
            an unknown person part name or masks of another size.
    """
    part_classes = part_name_to_class()
    person = person_class_id()
    target = None
    for obj in read_pascal_part_mat(path):
        if obj.class_id != person or not obj.parts:
            continue
        if target is None:
            target = np.zeros(shape, np.uint8)
        for name, mask in obj.parts:
            if name not in part_classes:
                raise ValueError(f'{path}: unknown person part {name!r} '
                                 f'(known: {sorted(part_classes)})')
            if mask.shape != tuple(shape):
                raise ValueError(f'{path}: part mask of shape {mask.shape}, '
                                 f'image shape {tuple(shape)}')
            target[mask] = part_classes[name]
    if target is None:
        return np.full(shape, 255, np.uint8)
    return target


def mask_normals(normals_rgb: np.ndarray, label_map: np.ndarray) -> np.ndarray:
    """Keep distilled normals only on normals-valid Context classes.

    Args:
        normals_rgb: ``uint8`` HxWx3 RGB-encoded normals.
        label_map: HxW PASCAL-Context ids.

    Returns:
        np.ndarray: A copy with invalid pixels set to (0, 0, 0).
    """
    valid_ids = np.fromiter(normals_valid_context_ids(), dtype=np.int64)
    valid = np.isin(label_map, valid_ids)
    out = np.zeros_like(normals_rgb)
    out[valid] = normals_rgb[valid]
    return out


def convert_image(img_id: str, root: str) -> None:
    """Write the three converted maps of one image.

    Args:
        img_id: Image id, e.g. ``'2008_000002'``.
        root: PASCAL_MT root; output folders must exist.

    Raises:
        FileNotFoundError: If a raw file is missing.
        ValueError: If a raw file is corrupt or sizes disagree; the message
            names the file.
    """
    label_map = read_label_map(
        osp.join(root, RAW_DIRS['label_map'], f'{img_id}.mat'))
    shape = label_map.shape

    parts = human_parts_from_mat(
        osp.join(root, RAW_DIRS['human_parts'], f'{img_id}.mat'), shape)

    normals_path = osp.join(root, RAW_DIRS['normals'], f'{img_id}.png')
    if not osp.isfile(normals_path):
        raise FileNotFoundError(f'{normals_path} does not exist')
    bgr = cv2.imread(normals_path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f'cannot decode {normals_path}')
    if bgr.shape[:2] != shape:
        raise ValueError(f'{normals_path} has size {bgr.shape[:2]}, but '
                         f'its LabelMap has size {shape}')
    # Masking is channel-order agnostic, so stay in BGR for cv2.imwrite.
    normals = mask_normals(bgr, label_map)

    write_image(
        osp.join(root, CONVERTED_DIRS['human_parts'], f'{img_id}.png'), parts)
    write_image(
        osp.join(root, CONVERTED_DIRS['normals'], f'{img_id}.png'), normals)
    write_image(
        osp.join(root, CONVERTED_DIRS['edge'], f'{img_id}.png'),
        label_map_edges(label_map))


class Conversion(NamedTuple):
    """What :func:`convert_pascal_mt` did.

    Attributes:
        converted: Number of converted images.
        bad: ``(image id, error naming the raw file)`` of each skipped
            image (``skip_bad=True`` only).
    """
    converted: int
    bad: List[Tuple[str, str]]


def _convert_or_report(img_id: str, root: str) -> Optional[str]:
    """:func:`convert_image`; a bad raw file gives its message instead.

    Nothing is left behind for a bad image: maps of an earlier run are
    removed, so the dataset does not read stale labels.
    """
    try:
        convert_image(img_id, root)
    except (OSError, ValueError) as err:
        for folder in CONVERTED_DIRS.values():
            stale = osp.join(root, folder, f'{img_id}.png')
            if osp.isfile(stale):
                os.remove(stale)
        return f'{type(err).__name__}: {err}'
    return None


def convert_pascal_mt(root: str,
                      nproc: int = 1,
                      ids: Iterable[str] = None,
                      progress: bool = True,
                      skip_bad: bool = False) -> Conversion:
    """Convert a raw PASCAL_MT tree (all ids of the train and val splits).

    Args:
        root: PASCAL_MT root.
        nproc: Number of worker processes.
        ids: Image ids to convert; defaults to every id of
            ``ImageSets/Context/{train,val}.txt``.
        progress: Show a progress bar.
        skip_bad: Skip images with a missing or corrupt raw file (nothing
            is written for them) and report them, instead of stopping at
            the first one.

    Returns:
        Conversion: The number of converted images and the skipped ones.

    Raises:
        FileNotFoundError: If ``root`` or a split file is missing, or
            (without ``skip_bad``) a raw file is.
        ValueError: Without ``skip_bad``, if a raw file is corrupt.
    """
    import mmengine  # progress bars; kept local so the module stays light

    if not osp.isdir(root):
        raise FileNotFoundError(f'PASCAL_MT root {root} does not exist')
    ids = read_split_ids(root) if ids is None else list(ids)
    for folder in CONVERTED_DIRS.values():
        os.makedirs(osp.join(root, folder), exist_ok=True)
    worker = partial(
        _convert_or_report if skip_bad else convert_image, root=root)
    if nproc > 1:
        results = mmengine.track_parallel_progress(worker, ids, nproc)
    elif progress:
        results = mmengine.track_progress(worker, ids)
    else:
        results = [worker(img_id) for img_id in ids]
    bad = [(i, msg) for i, msg in zip(ids, results or []) if msg]
    return Conversion(len(ids) - len(bad), bad)
