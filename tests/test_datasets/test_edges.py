"""Thinning matches scikit-image; edges follow the ASTMT recipe."""
import os.path as osp

import cv2
import numpy as np
import pytest

from mmvmt.datasets.edges import label_map_edges, thin

REF = osp.join(osp.dirname(__file__), 'data', 'thin_reference.npz')


def _unpack(bits, shape):
    return np.unpackbits(bits)[:shape[0] *
                               shape[1]].reshape(shape).astype(bool)


def test_thin_matches_skimage_reference():
    """Outputs recorded with skimage.morphology.thin (scikit-image 0.26)."""
    ref = np.load(REF)
    for i in range(6):
        img = _unpack(ref[f'in{i}'], (24, 32))
        assert np.array_equal(thin(img), _unpack(ref[f'out{i}'], (24, 32)))
    lm = ref['label_map']
    assert np.array_equal(
        label_map_edges(lm), _unpack(ref['label_map_edges'], lm.shape))


def test_thin_hand_cases():
    # skimage's docstring example.
    square = np.zeros((7, 7), bool)
    square[1:-1, 2:-2] = 1
    square[0, 1] = 1
    expected = np.zeros((7, 7), bool)
    expected[0, 1] = expected[1, 2] = True
    expected[2:5, 3] = True
    assert np.array_equal(thin(square), expected)
    # A one-pixel line is already thin; a 3-pixel bar thins to one line.
    line = np.zeros((5, 9), bool)
    line[2, 1:8] = True
    assert np.array_equal(thin(line), line)
    bar = np.zeros((7, 12), bool)
    bar[2:5, 1:11] = True
    out = thin(bar)
    assert out.sum(axis=0).max() == 1 and out[3, 3:9].all()
    assert not thin(np.zeros((4, 4))).any()
    with pytest.raises(ValueError, match='2-D'):
        thin(np.zeros((2, 2, 2)))


def test_label_map_edges():
    lm = np.zeros((8, 10), np.uint16)
    lm[:, 5:] = 7
    edges = label_map_edges(lm)
    assert edges.dtype == np.uint8
    # The step gives a 2-pixel-wide Laplacian response (columns 4 and 5),
    # thinned to column 4 without its end pixel at the top (as skimage).
    lap = np.abs(cv2.Laplacian(lm, cv2.CV_64F)) > 0
    assert lap[:, 4].all() and lap[:, 5].all() and lap.sum() == 16
    expected = np.zeros_like(edges)
    expected[1:, 4] = 1
    assert np.array_equal(edges, expected)
    assert not label_map_edges(np.full((5, 5), 3, np.uint16)).any()
