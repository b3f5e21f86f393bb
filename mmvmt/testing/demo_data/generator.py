"""Seeded generators of the synthetic ``PASCAL_MT`` / ``NYUD_MT`` sets.

Each image is a rendered 3-D scene (:mod:`.scenes`, :mod:`.renderer`), and
every label is read off that one rendering, so the tasks agree with each
other. The files follow the raw benchmark layouts, with the folders taken
from :class:`~mmvmt.datasets.PascalContextMTDataset`,
:class:`~mmvmt.datasets.NYUDv2MTDataset` and the converter's raw folders,
so ``tools/dataset_converters/pascal_mt.py`` runs on them unchanged.

The generators can also return the *intended* labels: for PASCAL the maps
the converter must reproduce (``human_parts``, ``normals_png``, ``edge``)
and the decoded ``semseg``/``sal``; for NYUD the decoded maps. Intended
human parts and normals come from the rendering, not from the files.

Everything is seeded per image (``seed``, dataset, index), so a set is
reproducible and an image does not depend on the number of images.
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.edges import label_map_edges
from mmvmt.datasets.facts import normals_valid_context_ids, part_name_to_class
from mmvmt.datasets.pascal_mt_conversion import RAW_DIRS
from mmvmt.fileio import encode_normals, write_image, write_label_map
from .renderer import Canvas
from .scenes import Persons, render_nyud, render_pascal
from .writers import (pascal_part_objects, soft_saliency, void_border,
                      write_jpg, write_pascal_part, write_split_files,
                      write_voc_png)

__all__ = [
    'DEMO_NUM_TRAIN', 'DEMO_NUM_VAL', 'DEMO_SIZE', 'check_set_args',
    'pascal_labels', 'nyud_labels', 'generate_pascal_mt', 'generate_nyud_mt',
    'generate_demo_data'
]

DEMO_NUM_TRAIN = 160
DEMO_NUM_VAL = 32
DEMO_SIZE = (128, 160)

Labels = Dict[str, np.ndarray]


def _path(root: str, folder: str, img_id: str, suffix: str) -> str:
    return osp.join(root, folder, img_id + suffix)


def _splits(ids: List[str], num_train: int) -> Dict[str, List[str]]:
    return dict(train=ids[:num_train], val=ids[num_train:])


def _intended_parts(canvas: Canvas, has_parts: bool) -> np.ndarray:
    """Human-part labels read off the rendering."""
    if not has_parts:
        return np.full(canvas.size, 255, np.uint8)
    part_cls = part_name_to_class()
    lut = []
    for p in canvas.prims:
        meta = canvas.objects[p['obj']]
        annotated = meta.get('name') == 'person' and meta['parts']
        lut.append(part_cls[p['part']] if annotated and p['part'] else 0)
    return np.array(lut + [0], np.uint8)[canvas.prim]


def _salient(canvas: Canvas, owner: np.ndarray) -> np.ndarray:
    """Every person and the nearest other visible VOC object."""
    meta = canvas.objects
    visible = [
        o for o, m in enumerate(meta) if m['voc'] > 0 and (owner == o).any()
    ]
    chosen = {o for o in visible if meta[o]['name'] == 'person'}
    others = [o for o in visible if meta[o]['name'] != 'person']
    if others:
        chosen.add(min(others, key=lambda o: canvas.depth[owner == o].min()))
    return np.isin(owner, list(chosen))


class _PascalImage(NamedTuple):
    """One rendered PASCAL image and its maps as stored (raw)."""

    canvas: Canvas
    persons: Persons
    owner: np.ndarray
    image: np.ndarray
    semseg: np.ndarray
    sal: np.ndarray
    normals_rgb: np.ndarray
    label_map: np.ndarray


def _pascal_image(idx: int, size: Tuple[int, int], seed: int) -> _PascalImage:
    """Render PASCAL image ``idx`` and compute its raw maps."""
    canvas, persons, rng = render_pascal(idx, size, seed)
    owner = canvas.owner()
    meta = canvas.objects
    voc_map = np.array([m['voc'] for m in meta], np.uint8)[owner]
    image = canvas.image(rng)
    return _PascalImage(
        canvas=canvas,
        persons=persons,
        owner=owner,
        image=image,
        semseg=voc_map if idx % 5 == 4 else void_border(voc_map),
        sal=soft_saliency(_salient(canvas, owner), rng),
        normals_rgb=encode_normals(canvas.normals),
        label_map=np.array([m['ctx'] for m in meta], np.uint16)[owner])


def _pascal_intended(img: _PascalImage, has_parts: bool) -> Labels:
    """The labels the converted files of an image must hold."""
    valid_ids = np.fromiter(normals_valid_context_ids(), np.int64)
    return dict(
        semseg=img.semseg,
        sal=(img.sal.astype(np.float32) / 255. > 0.5).astype(np.uint8),
        human_parts=_intended_parts(img.canvas, has_parts),
        normals_png=np.where(
            np.isin(img.label_map, valid_ids)[..., None], img.normals_rgb,
            0).astype(np.uint8),
        edge=label_map_edges(img.label_map),
        label_map=img.label_map)


def pascal_labels(idx: int,
                  size: Tuple[int, int] = DEMO_SIZE,
                  seed: int = 0) -> Labels:
    """The intended labels of PASCAL image ``idx``, without writing files.

    Returns:
        dict: As an entry of :func:`generate_pascal_mt`'s labels, without
        ``split``.
    """
    img = _pascal_image(idx, size, seed)
    _, has_parts = pascal_part_objects(img.canvas, img.owner, img.persons)
    return _pascal_intended(img, has_parts)


def generate_pascal_mt(
        root: str,
        num_train: int = DEMO_NUM_TRAIN,
        num_val: int = DEMO_NUM_VAL,
        size: Tuple[int, int] = DEMO_SIZE,
        seed: int = 0,
        return_labels: bool = False) -> Optional[Dict[str, Labels]]:
    """Write a raw ``PASCAL_MT`` tree (before conversion) under ``root``.

    Image ``idx`` shows the main object ``scenes.PASCAL_PRIMARY[idx % 7]``
    in its scene type: indoor (wall/floor: normals valid) or outdoor
    (sky/grass/ground: normals invalid). Every 4th image has no person
    (human parts all-ignore); every person is annotated with parts, so
    every person pixel is a part in ``human_parts``. Every 5th image stores
    its semseg in ``semseg/pascal-context`` instead of ``semseg/VOC12``.

    Args:
        root: Output folder (the ``PASCAL_MT`` root).
        num_train: Number of train images.
        num_val: Number of val images.
        size: ``(H, W)`` of the images.
        seed: Random seed.
        return_labels: Also return the intended labels.

    Returns:
        dict | None: If ``return_labels``, image id -> dict with ``semseg``
        (uint8, as stored), ``sal`` (uint8 {0, 1}), ``human_parts`` (uint8,
        255 ignore), ``normals_png`` (uint8 RGB, (0, 0, 0) invalid),
        ``edge`` (uint8 {0, 1}), ``label_map`` (uint16) and ``split``.
    """
    ds = PascalContextMTDataset
    voc_dir, context_dir = ds.TASK_ANNS['semseg'].dirs
    sal_dir = ds.TASK_ANNS['sal'].dirs[0]
    split_file = ds.SPLIT_FILE
    folders = (ds.IMG_DIR, voc_dir, context_dir, sal_dir,
               RAW_DIRS['human_parts'], RAW_DIRS['normals'],
               RAW_DIRS['label_map'], osp.dirname(split_file))
    for folder in folders:
        os.makedirs(osp.join(root, folder), exist_ok=True)
    ids = [f'{2008 + i % 3}_{i:06d}' for i in range(num_train + num_val)]
    write_split_files(root, split_file, _splits(ids, num_train))
    labels = {}
    for idx, img_id in enumerate(ids):
        img = _pascal_image(idx, size, seed)
        write_jpg(_path(root, ds.IMG_DIR, img_id, ds.IMG_SUFFIX), img.image)
        if idx % 5 == 4:
            write_image(_path(root, context_dir, img_id, '.png'), img.semseg)
        else:
            write_voc_png(_path(root, voc_dir, img_id, '.png'), img.semseg)
        write_image(_path(root, sal_dir, img_id, '.png'), img.sal)
        has_parts = write_pascal_part(
            _path(root, RAW_DIRS['human_parts'], img_id, '.mat'), img_id,
            img.canvas, img.owner, img.persons)
        write_image(
            _path(root, RAW_DIRS['normals'], img_id, '.png'),
            img.normals_rgb,
            channel_order='rgb')
        write_label_map(
            _path(root, RAW_DIRS['label_map'], img_id, '.mat'), img.label_map)
        if return_labels:
            labels[img_id] = dict(
                split='train' if idx < num_train else 'val',
                **_pascal_intended(img, has_parts))
    return labels if return_labels else None


class _NYUDImage(NamedTuple):
    """One rendered NYUD image and its maps as stored."""

    image: np.ndarray
    seg: np.ndarray
    depth: np.ndarray
    normals: np.ndarray
    edge: np.ndarray


def _nyud_image(idx: int, size: Tuple[int, int], seed: int) -> _NYUDImage:
    """Render NYUD image ``idx`` and compute its maps."""
    canvas, rng = render_nyud(idx, size, seed)
    owner = canvas.owner()
    seg = np.array([m['cls'] for m in canvas.objects], np.uint8)[owner]
    valid = np.array([m['valid'] for m in canvas.objects])[owner]
    # Sensor holes: a few random blobs without depth and normals.
    for _ in range(int(rng.integers(1, 3))):
        cy, cx = rng.uniform(0, size[0]), rng.uniform(0, size[1])
        r = rng.uniform(2., 6.)
        valid &= (canvas.v - cy)**2 + (canvas.u - cx)**2 >= r**2
    return _NYUDImage(
        image=canvas.image(rng),
        seg=seg,
        depth=np.where(valid, canvas.depth, 0.).astype(np.float32),
        normals=np.where(valid[..., None], canvas.normals,
                         0.).astype(np.float32),
        edge=label_map_edges(seg))


def _nyud_intended(img: _NYUDImage) -> Labels:
    """The decoded labels of an image."""
    sem = img.seg - np.uint8(1)
    sem[img.seg == 0] = 255
    return dict(
        semseg=sem, depth=img.depth, normals=img.normals, edge=img.edge)


def nyud_labels(idx: int,
                size: Tuple[int, int] = DEMO_SIZE,
                seed: int = 0) -> Labels:
    """The decoded labels of NYUD image ``idx``, without writing files.

    Returns:
        dict: As an entry of :func:`generate_nyud_mt`'s labels, without
        ``split``.
    """
    return _nyud_intended(_nyud_image(idx, size, seed))


def generate_nyud_mt(
        root: str,
        num_train: int = DEMO_NUM_TRAIN,
        num_val: int = DEMO_NUM_VAL,
        size: Tuple[int, int] = DEMO_SIZE,
        seed: int = 0,
        return_labels: bool = False) -> Optional[Dict[str, Labels]]:
    """Write an ``NYUD_MT`` tree under ``root``.

    Args:
        root: Output folder (the ``NYUD_MT`` root).
        num_train: Number of train images.
        num_val: Number of val images.
        size: ``(H, W)`` of the images.
        seed: Random seed.
        return_labels: Also return the intended (decoded) labels.

    Returns:
        dict | None: If ``return_labels``, image id -> dict with ``semseg``
        (uint8 0..39, 255 ignore), ``depth`` (float32, 0 invalid),
        ``normals`` (float32 HxWx3, zero vector invalid), ``edge`` (uint8
        {0, 1}) and ``split``.
    """
    ds = NYUDv2MTDataset
    anns = ds.TASK_ANNS
    for folder in (ds.IMG_DIR, osp.dirname(ds.SPLIT_FILE),
                   *(ann.dirs[0] for ann in anns.values())):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    ids = [f'{i:04d}' for i in range(num_train + num_val)]
    write_split_files(root, ds.SPLIT_FILE, _splits(ids, num_train))

    def ann_path(task: str, img_id: str) -> str:
        return _path(root, anns[task].dirs[0], img_id, anns[task].suffix)

    labels = {}
    for idx, img_id in enumerate(ids):
        img = _nyud_image(idx, size, seed)
        write_jpg(_path(root, ds.IMG_DIR, img_id, ds.IMG_SUFFIX), img.image)
        write_image(ann_path('semseg', img_id), img.seg)
        np.save(ann_path('depth', img_id), img.depth)
        np.save(ann_path('normals', img_id), img.normals)
        np.save(ann_path('edge', img_id), img.edge.astype(np.float32))
        if return_labels:
            labels[img_id] = dict(
                split='train' if idx < num_train else 'val',
                **_nyud_intended(img))
    return labels if return_labels else None


def check_set_args(num_train: int, num_val: int,
                   size: Tuple[int, int]) -> Tuple[int, int]:
    """Check the counts and size of a generated set.

    Returns:
        tuple: ``size`` as ``(H, W)`` ints.

    Raises:
        ValueError: On non-positive counts or a size below 32x32.
    """
    if num_train < 1 or num_val < 1:
        raise ValueError('num_train and num_val must be positive, got '
                         f'{num_train} and {num_val}')
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 32:
        raise ValueError(f'size must be (H, W) with H, W >= 32, got {size}')
    return size


def generate_demo_data(out_dir: str,
                       dataset: str = 'both',
                       num_train: int = DEMO_NUM_TRAIN,
                       num_val: int = DEMO_NUM_VAL,
                       size: Tuple[int, int] = DEMO_SIZE,
                       seed: int = 0,
                       return_labels: bool = False) -> Dict[str, dict]:
    """Write ``PASCAL_MT`` and/or ``NYUD_MT`` demo trees under ``out_dir``.

    Args:
        out_dir: Parent folder, e.g. ``'data/demo'``.
        dataset: ``'pascal'``, ``'nyud'`` or ``'both'``.
        num_train: Train images per dataset.
        num_val: Val images per dataset.
        size: ``(H, W)``.
        seed: Random seed.
        return_labels: Also return the intended labels.

    Returns:
        dict: ``{'PASCAL_MT': labels, 'NYUD_MT': labels}`` for the written
        sets (labels are None unless ``return_labels``).

    Raises:
        ValueError: On an unknown ``dataset``, non-positive counts or a
            size below 32x32.
    """
    if dataset not in ('pascal', 'nyud', 'both'):
        raise ValueError(f"dataset must be 'pascal', 'nyud' or 'both', got "
                         f'{dataset!r}')
    size = check_set_args(num_train, num_val, size)
    out = {}
    kwargs = dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        seed=seed,
        return_labels=return_labels)
    if dataset in ('pascal', 'both'):
        out['PASCAL_MT'] = generate_pascal_mt(
            osp.join(out_dir, 'PASCAL_MT'), **kwargs)
    if dataset in ('nyud', 'both'):
        out['NYUD_MT'] = generate_nyud_mt(
            osp.join(out_dir, 'NYUD_MT'), **kwargs)
    return out
