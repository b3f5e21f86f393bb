"""Shared fixtures: a small generated demo tree (raw and converted)."""
import os.path as osp

import pytest

from mmvmt.datasets.pascal_mt_conversion import convert_pascal_mt
from mmvmt.testing.demo_data import generate_demo_data

#: Small sets: enough for every image kind (person-free every 4th image,
#: context-folder semseg every 5th, indoor/outdoor alternating).
NUM_TRAIN, NUM_VAL = 8, 4


@pytest.fixture(scope='session')
def demo_raw(tmp_path_factory):
    """Raw (unconverted) demo trees and their intended labels."""
    root = str(tmp_path_factory.mktemp('demo_raw'))
    labels = generate_demo_data(
        root, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=3, return_labels=True)
    return root, labels


@pytest.fixture(scope='session')
def demo(tmp_path_factory):
    """Converted demo trees and their intended labels."""
    root = str(tmp_path_factory.mktemp('demo'))
    labels = generate_demo_data(
        root, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=3, return_labels=True)
    convert_pascal_mt(osp.join(root, 'PASCAL_MT'), progress=False)
    return root, labels
