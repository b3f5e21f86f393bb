"""Raw-format files of the demo sets, written as the benchmarks store them.

The byte-level formats come from :mod:`mmvmt.fileio`; this module adds what
is specific to the raw benchmark files: VOC palette pngs with a void
border, soft distilled saliency, PASCAL-Part objects read off a rendering.
"""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmseg.datasets import PascalVOCDataset
from PIL import Image

from mmvmt.datasets.facts import voc_classes
from mmvmt.fileio import PartObject, write_image, write_pascal_part_mat
from .renderer import Canvas
from .scenes import MAT_PART_ORDER, PASCAL_OBJECTS, Persons

__all__ = [
    'write_jpg', 'write_voc_png', 'void_border', 'soft_saliency',
    'pascal_part_objects', 'write_pascal_part', 'write_split_files'
]

#: Colour of the VOC void label (255) in the palette pngs.
VOID_COLOUR = (224, 224, 192)


def write_jpg(path: str, rgb: np.ndarray) -> None:
    """Write an RGB image as JPEG, quality 95."""
    write_image(path, rgb, 'rgb', params=[cv2.IMWRITE_JPEG_QUALITY, 95])


def write_voc_png(path: str, labels: np.ndarray) -> None:
    """Write a palette png like the VOC annotations (indices != colours)."""
    palette = np.zeros((256, 3), np.uint8)
    palette[:21] = PascalVOCDataset.METAINFO['palette']
    palette[255] = VOID_COLOUR
    img = Image.frombytes('P', labels.shape[::-1],
                          np.ascontiguousarray(labels).tobytes())
    img.putpalette(palette.flatten().tolist())
    img.save(path)


def void_border(labels: np.ndarray) -> np.ndarray:
    """VOC style: object pixels next to another class become 255."""
    pad = np.pad(labels, 1, mode='edge')
    diff = np.zeros(labels.shape, bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        diff |= pad[dy:dy + labels.shape[0], dx:dx + labels.shape[1]] != labels
    out = labels.copy()
    out[diff & (labels > 0)] = 255
    return out


def soft_saliency(salient: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Soft map: 200..255 inside, 0..60 outside, 128 / 127 at the border."""
    sal = np.where(salient, rng.integers(200, 256, salient.shape),
                   rng.integers(0, 61, salient.shape)).astype(np.uint8)
    grown = cv2.dilate(salient.astype(np.uint8), np.ones((3, 3), np.uint8))
    shrunk = cv2.erode(salient.astype(np.uint8), np.ones((3, 3), np.uint8))
    sal[(grown > 0) & ~salient] = 127  # 127/255 < 0.5 -> background
    sal[salient & (shrunk == 0)] = 128  # 128/255 > 0.5 -> salient
    return sal


def pascal_part_objects(canvas: Canvas, owner: np.ndarray,
                        persons: Persons) -> Tuple[List[PartObject], bool]:
    """PASCAL-Part objects of a rendering, one per visible VOC object.

    Persons annotated with parts get every visible part (hat pixels belong
    to no part); kinds with a ``decoy_part`` get that non-person part on
    their left half.

    Returns:
        tuple: The objects and whether a person has parts.
    """
    voc_names = voc_classes()
    accessory = np.array([p['accessory'] for p in canvas.prims] + [False])
    acc = accessory[canvas.prim]
    person_sil = dict(persons)
    objects, any_parts = [], False
    for o, meta in enumerate(canvas.objects):
        visible = owner == o
        if meta['voc'] == 0 or not visible.any():
            continue
        parts = []
        spec = PASCAL_OBJECTS.get(meta['name'])
        if o in person_sil and meta['parts']:
            for name in MAT_PART_ORDER:
                mask = person_sil[o][name] & visible & ~acc
                if mask.any():
                    parts.append((name, mask))
        elif spec is not None and spec.decoy_part is not None:
            sub = visible & (canvas.u < canvas.u[visible].mean())
            if sub.any():
                parts.append((spec.decoy_part, sub))
        any_parts |= meta['name'] == 'person' and bool(parts)
        objects.append(
            PartObject(voc_names[meta['voc']], meta['voc'], visible,
                       tuple(parts)))
    return objects, any_parts


def write_pascal_part(path: str, img_id: str, canvas: Canvas,
                      owner: np.ndarray, persons: Persons) -> bool:
    """Write the PASCAL-Part file of a rendering.

    Returns:
        bool: Whether a person has parts.
    """
    objects, any_parts = pascal_part_objects(canvas, owner, persons)
    write_pascal_part_mat(path, img_id, objects)
    return any_parts


def write_split_files(root: str, split_file: str,
                      splits: Dict[str, Sequence[str]]) -> None:
    """Write one id per line to ``root/split_file.format(split=...)``."""
    for split, ids in splits.items():
        with open(osp.join(root, split_file.format(split=split)), 'w') as f:
            f.write(''.join(f'{i}\n' for i in ids))
