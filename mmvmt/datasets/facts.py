"""Read-only access to the benchmark facts shipped in ``mmvmt/data``.

The facts (the human-part classes, the PASCAL-Part part names, the
PASCAL-Context ids where distilled normals are valid, the NYUD-v2 40 class
names, split sizes) are data, not code: they live in
``mmvmt/data/pascal_mt_facts.json`` and are read once, then cached. The 21
PASCAL VOC classes are mmseg's (:class:`mmseg.datasets.PascalVOCDataset`).

Source: the public multi-task benchmarks built on PASCAL-Context
(``PASCAL_MT``) and NYUD-v2 (``NYUD_MT``) as distributed with ASTMT
(Maninis et al., "Attentive Single-Tasking of Multiple Tasks", CVPR 2019)
and MTI-Net / Multi-Task-Learning-PyTorch (Vandenhende et al., 2020), which
derive them from PASCAL VOC 2010, PASCAL-Context (Mottaghi et al., CVPR
2014), PASCAL-Part (Chen et al., CVPR 2014) and NYU Depth v2 (Silberman et
al., ECCV 2012).
"""
import json
import os.path as osp
from functools import lru_cache
from types import MappingProxyType
from typing import FrozenSet, Mapping, Tuple

from mmseg.datasets import PascalVOCDataset

__all__ = [
    'FACTS_FILE', 'load_facts', 'voc_classes', 'person_class_id',
    'human_parts_classes', 'part_name_to_class', 'context_name_to_id',
    'normals_valid_context_ids', 'nyud_classes', 'split_sizes'
]

#: Path of the facts file inside the installed package.
FACTS_FILE = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
    'pascal_mt_facts.json')


@lru_cache(maxsize=None)
def load_facts() -> Mapping:
    """Load the facts file once.

    Returns:
        Mapping: A read-only view of the parsed JSON object.

    Raises:
        FileNotFoundError: If the package data file is missing (a broken
            install); the message names the expected path.
    """
    if not osp.isfile(FACTS_FILE):
        raise FileNotFoundError(
            f'mmvmt package data {FACTS_FILE} is missing; reinstall mmvmt '
            '(it is declared in setup.py package_data)')
    with open(FACTS_FILE, encoding='utf-8') as f:
        return MappingProxyType(json.load(f))


@lru_cache(maxsize=None)
def voc_classes() -> Tuple[str, ...]:
    """The 21 PASCAL VOC semantic classes (index 0 is background)."""
    return tuple(PascalVOCDataset.METAINFO['classes'])


def person_class_id() -> int:
    """VOC class id of ``person`` (15); PASCAL-Part uses the same ids."""
    return voc_classes().index('person')


@lru_cache(maxsize=None)
def human_parts_classes() -> Tuple[str, ...]:
    """The 7 human-part classes (index 0 is background)."""
    return tuple(load_facts()['human_parts_7'])


@lru_cache(maxsize=None)
def part_name_to_class() -> Mapping[str, int]:
    """PASCAL-Part person part name (e.g. ``'lhand'``) -> human-part id."""
    return MappingProxyType(
        dict(load_facts()['pascal_part_person_part_name_to_class']))


@lru_cache(maxsize=None)
def context_name_to_id() -> Mapping[str, int]:
    """PASCAL-Context 459-class name -> ``LabelMap`` id."""
    return MappingProxyType(
        dict(load_facts()['pascal_context_459_name_to_id']))


@lru_cache(maxsize=None)
def normals_valid_context_ids() -> FrozenSet[int]:
    """Context ids whose pixels carry valid distilled surface normals.

    These are the classes shared with NYU-v2 (plus ``tvmonitor``), i.e. the
    classes the normal-estimation teacher was trained on.
    """
    return frozenset(int(i) for i in load_facts()['normals_valid_context_ids'])


@lru_cache(maxsize=None)
def nyud_classes() -> Tuple[str, ...]:
    """The 40 NYUD-v2 semantic classes (label ``k`` in the png is ``k-1``)."""
    return tuple(load_facts()['nyud_classes_40'])


def split_sizes(dataset: str) -> Mapping[str, int]:
    """Number of images per split of the real benchmark.

    Args:
        dataset: ``'pascal'`` or ``'nyud'``.

    Returns:
        Mapping: ``{'train': n_train, 'val': n_val}``.

    Raises:
        KeyError: For an unknown dataset name.
    """
    keys = dict(pascal='splits', nyud='nyud_splits')
    if dataset not in keys:
        raise KeyError(f'unknown dataset {dataset!r}; expected one of '
                       f'{sorted(keys)}')
    return MappingProxyType(dict(load_facts()[keys[dataset]]))
