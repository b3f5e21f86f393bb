"""Hand-computed cases of the edge odsF proxy."""
import math

import numpy as np
import pytest
import torch

from mmvmt.evaluation.metrics import EdgeEvaluator
from mmvmt.evaluation.metrics.edge_evaluator import disk_kernel
from mmvmt.tasks import get_task

SIZE = 10
DIAG = math.hypot(SIZE, SIZE)


def _maps(gt_edges, preds, ignore=()):
    gt = torch.zeros(1, SIZE, SIZE, dtype=torch.long)
    pred = torch.zeros(1, SIZE, SIZE)
    for y, x in gt_edges:
        gt[0, y, x] = 1
    for (y, x), p in preds.items():
        pred[0, y, x] = p
    for y, x in ignore:
        gt[0, y, x] = 255
    return pred, gt


def _ods(*pairs, tol=1.0, num_thresholds=4):
    ev = EdgeEvaluator(
        get_task('edge'), max_dist=tol / DIAG, num_thresholds=num_thresholds)
    return ev.compute([ev.process_image(*p) for p in pairs])['odsF']


def test_disk_kernel():
    assert disk_kernel(0).tolist() == [[1]]
    assert disk_kernel(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert disk_kernel(1.5).sum() == 9
    assert disk_kernel(2).sum() == 13


def test_ods_by_hand():
    # gt edges at (5,5) and (9,9); predictions 0.8 at (5,6) (1 px from a gt
    # edge) and 0.6 at (0,0) (far). Thresholds 0.2, 0.4, 0.6, 0.8.
    pair = _maps([(5, 5), (9, 9)], {(5, 6): 0.8, (0, 0): 0.6})
    # t <= 0.6: P = 1/2, R = 1/2 -> F = 1/2; t = 0.8: P = 1, R = 1/2 -> 2/3
    assert _ods(pair) == pytest.approx(200 / 3)
    ev = EdgeEvaluator(get_task('edge'), max_dist=1 / DIAG, num_thresholds=4)
    stats = ev.process_image(*pair)
    assert stats['match_pred'].tolist() == [1, 1, 1, 1]
    assert stats['pred'].tolist() == [2, 2, 2, 1]
    assert stats['match_gt'].tolist() == [1, 1, 1, 1]
    assert stats['gt'] == 2 and stats['n'] == 100


def test_tolerance_is_euclidean():
    straight = _maps([(5, 5)], {(5, 7): 0.9})  # 2 px away
    assert _ods(straight, tol=1) == 0
    assert _ods(straight, tol=2) == pytest.approx(100)
    diagonal = _maps([(5, 5)], {(6, 6): 0.9})  # sqrt(2) px away
    assert _ods(diagonal, tol=1) == 0
    assert _ods(diagonal, tol=1.5) == pytest.approx(100)


def test_counts_pool_over_images():
    hit = _maps([(5, 5)], {(5, 5): 0.9})
    miss = _maps([(2, 2)], {(8, 8): 0.9})
    # pooled: P = 1/2, R = 1/2 at every threshold
    assert _ods(hit, miss) == pytest.approx(50)


def test_ignored_pixels_do_not_count():
    # a prediction on an ignored pixel is neither a false positive nor a
    # match, and an ignored pixel is not a ground-truth edge
    pair = _maps([(5, 5)], {(5, 5): 0.9, (0, 0): 0.9}, ignore=[(0, 0)])
    assert _ods(pair) == pytest.approx(100)
    gt_ignored = _maps([(5, 5)], {(5, 5): 0.9, (1, 1): 0.9}, ignore=[(1, 1)])
    assert _ods(gt_ignored) == pytest.approx(100)
    # a prediction on an ignored pixel does not recall a nearby gt edge:
    # P = 1, R = 1/2
    pred_ignored = _maps([(5, 5), (2, 2)], {
        (2, 2): 0.9,
        (5, 6): 0.9
    },
                         ignore=[(5, 6)])
    assert _ods(pred_ignored) == pytest.approx(200 / 3)


def test_default_thresholds_and_bad_options():
    ev = EdgeEvaluator(get_task('edge'))
    assert len(ev.thresholds) == 99
    assert ev.thresholds[0] == pytest.approx(0.01)
    assert ev.thresholds[-1] == pytest.approx(0.99)
    with pytest.raises(ValueError, match='max_dist'):
        EdgeEvaluator(get_task('edge'), max_dist=-1)
    with pytest.raises(ValueError, match='num_thresholds'):
        EdgeEvaluator(get_task('edge'), num_thresholds=0)
    # valid pixels but no edge anywhere: F = 0, not nan
    no_edges = _maps([], {}, ignore=[(0, 0)])
    assert ev.compute([ev.process_image(*no_edges)])['odsF'] == 0
    all_ignored = (torch.zeros(1, 2, 2), torch.full((1, 2, 2), 255))
    assert math.isnan(ev.compute([ev.process_image(*all_ignored)])['odsF'])


def test_random_maps_match_a_brute_force_reference():
    rng = np.random.default_rng(1)
    gt = (rng.random((12, 15)) > 0.85).astype(np.int64)
    prob = rng.random((12, 15)).astype(np.float32)
    tol = 1.6
    ev = EdgeEvaluator(
        get_task('edge'), max_dist=tol / math.hypot(12, 15), num_thresholds=9)
    stats = ev.process_image(
        torch.from_numpy(prob)[None],
        torch.from_numpy(gt)[None])
    ys, xs = np.mgrid[:12, :15]
    gy, gx = np.nonzero(gt)
    for k, t in enumerate(ev.thresholds.astype(np.float32)):
        py, px = np.nonzero(prob >= t)
        d = np.hypot(py[:, None] - gy[None], px[:, None] - gx[None])
        assert stats['pred'][k] == len(py)
        assert stats['match_pred'][k] == int((d <= tol).any(1).sum())
        assert stats['match_gt'][k] == int((d <= tol).any(0).sum())
