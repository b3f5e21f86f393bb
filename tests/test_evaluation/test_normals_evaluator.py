"""Hand-computed cases and the median bound of the normals evaluator."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from mmvmt.evaluation.metrics import (LiteratureNormalsEvaluator,
                                      NormalsEvaluator, histogram_median)
from mmvmt.tasks import get_task

#: Value of an invalid normal in all three channels (the table's).
IGNORE = get_task('normals').ignore_value


def _normals(vectors):
    """(3, 1, W) tensor from a list of 3-vectors."""
    return torch.tensor(vectors, dtype=torch.float32).T[:, None, :]


def _reference_angles(pred, gt):
    """ASTMT eval_normals, in numpy float64, over valid pixels."""
    pred = pred.double().numpy().reshape(3, -1).T
    gt = gt.double().numpy().reshape(3, -1).T
    valid = ~((gt == IGNORE).all(1) | (gt == 0).all(1))
    pred, gt = pred[valid], gt[valid]
    norm = np.linalg.norm(pred, axis=1, keepdims=True)
    pred = pred / np.where(norm == 0, 1, norm)
    gt = gt / np.linalg.norm(gt, axis=1, keepdims=True)
    return np.rad2deg(np.arccos(np.clip((pred * gt).sum(1), -1, 1)))


UP = [0, 0, 1]
S10 = math.sin(math.radians(10))
C10 = math.cos(math.radians(10))
# errors 0, 45, 90, 180, 90 (zero-length prediction), 10 degrees, then two
# invalid ground-truth pixels (the ignore value everywhere, a zero-length
# vector).
PRED = _normals([[0, 0, 5], [1, 0, 1], [1, 0, 0], [0, 0, -1], [0, 0, 0],
                 [S10, 0, C10], [1, 0, 0], [1, 0, 0]])
GT = _normals([UP] * 6 + [[IGNORE] * 3, [0, 0, 0]])


def test_angular_metrics_by_hand():
    ev = NormalsEvaluator(get_task('normals'))
    stats = ev.process_image(PRED, GT)
    assert stats['n'] == 6
    res = ev.compute([stats])
    assert res['mean'] == pytest.approx(415 / 6)
    assert res['median'] == pytest.approx(67.5, abs=0.01)
    assert res['rmse'] == pytest.approx(
        math.sqrt((0 + 45**2 + 90**2 + 180**2 + 90**2 + 10**2) / 6))
    for name in ('11.25', '22.5', '30'):
        assert res[name] == pytest.approx(200 / 6)
    assert set(res) == set(ev.metrics)


def test_thresholds_are_strict():
    tilt = math.radians(22.5)
    pred = _normals([[math.sin(tilt), 0, math.cos(tilt)], [0, 0, 1]])
    gt = _normals([UP, UP]).double()
    ev = NormalsEvaluator(get_task('normals'))
    res = ev.compute([ev.process_image(pred.double(), gt)])
    assert res['22.5'] == pytest.approx(50)  # 22.5 is not < 22.5
    assert res['30'] == pytest.approx(100)


def test_pooled_over_pixels_not_images():
    ev = NormalsEvaluator(get_task('normals'))
    one = ev.process_image(_normals([[1, 0, 0]]), _normals([UP]))  # 90
    three = ev.process_image(_normals([UP] * 3), _normals([UP] * 3))  # 0
    assert ev.compute([one, three])['mean'] == pytest.approx(90 / 4)


def test_matches_reference_on_random_data_with_median_bound():
    rng = np.random.default_rng(0)
    ev = NormalsEvaluator(get_task('normals'))
    stats, angles = [], []
    for _ in range(4):
        gt = rng.normal(size=(3, 64, 80))
        gt /= np.linalg.norm(gt, axis=0)
        pred = gt + rng.normal(size=gt.shape) * rng.uniform(0.1, 1.5)
        gt[:, rng.random((64, 80)) < 0.2] = IGNORE
        gt[:, :2, :2] = 0
        pred[:, 5, 5] = 0
        gt_t = torch.from_numpy(gt.astype(np.float32))
        pred_t = torch.from_numpy(pred.astype(np.float32))
        stats.append(ev.process_image(pred_t, gt_t))
        angles.append(_reference_angles(pred_t, gt_t))
    angles = np.concatenate(angles)
    res = ev.compute(stats)
    assert res['mean'] == pytest.approx(angles.mean(), rel=1e-9)
    assert res['rmse'] == pytest.approx(
        math.sqrt((angles**2).mean()), rel=1e-9)
    assert res['11.25'] == pytest.approx((angles < 11.25).mean() * 100)
    assert abs(res['median'] - np.median(angles)) < 0.01


@pytest.mark.parametrize('seed', range(20))
def test_histogram_median_error_below_one_bin(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    kind = seed % 4
    if kind == 0:
        values = rng.uniform(0, 180, n)
    elif kind == 1:  # heavy mass in few bins
        values = rng.choice([3.0, 3.004, 47.5], n) + rng.uniform(0, 1e-3, n)
    elif kind == 2:  # two clusters with a gap: even n averages across it
        values = np.concatenate([np.full(n, 10.0), np.full(n, 50.0)])
    else:
        values = np.abs(rng.normal(15, 10, n)).clip(0, 180)
    width = 0.01
    hist = np.bincount(
        np.minimum((values / width).astype(np.int64), 17999), minlength=18000)
    assert abs(histogram_median(hist, width) - np.median(values)) < width


def test_histogram_median_empty_and_coarse_bins():
    assert math.isnan(histogram_median(np.zeros(10, np.int64), 1.0))
    # one value per bin: estimates at bin centres
    assert histogram_median(np.array([1, 0, 1]), 1.0) == pytest.approx(1.5)
    assert histogram_median(np.array([0, 3, 0]), 1.0) == pytest.approx(1.5)


def test_bad_inputs_raise():
    ev = NormalsEvaluator(get_task('normals'))
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        ev.process_image(torch.zeros(1, 2, 2), torch.zeros(3, 2, 2))
    bad = _normals([[float('nan'), 0, 1]])
    with pytest.raises(ValueError, match='non-finite'):
        ev.process_image(bad, _normals([UP]))
    with pytest.raises(ValueError, match=r'\[-1, 1\]'):
        ev.process_image(_normals([UP]), _normals([[255, 0, 1]]))
    with pytest.raises(ValueError, match='median_bin_width'):
        NormalsEvaluator(get_task('normals'), median_bin_width=0.007)


def test_invalid_pixels_follow_the_table_entry():
    spec = dataclasses.replace(get_task('normals'), ignore_value=-7.0)
    ev = NormalsEvaluator(spec)
    stats = ev.process_image(
        _normals([[1, 0, 0], UP]), _normals([UP, [-7, -7, -7]]))
    assert stats['n'] == 1 and stats['sum'] == pytest.approx(90)


def test_no_valid_pixel_is_nan():
    ev = NormalsEvaluator(get_task('normals'))
    res = ev.compute([ev.process_image(_normals([UP]), _normals([[0, 0, 0]]))])
    assert all(math.isnan(v) for v in res.values())


# ------------------------------------------------ protocol 'literature'
def test_literature_does_not_renormalise_the_gt_by_hand():
    # gt lengths 0.5, 0.6 sqrt(2), 1.2; predictions along them (any length)
    pred = _normals([UP, [1, 0, 1], [0, 0, 3]])
    gt = _normals([[0, 0, 0.5], [0.6, 0, 0.6], [0, 0, 1.2]])
    exact = NormalsEvaluator(get_task('normals'))
    lit = LiteratureNormalsEvaluator(get_task('normals'))
    assert not lit.normalize_gt
    # re-normalised (the 'exact' rule; 1.2 is out of its range): no error
    stats = exact.process_image(pred[..., :2], gt[..., :2])
    assert exact.compute([stats])['mean'] == pytest.approx(0, abs=1e-5)
    res = lit.compute([lit.process_image(pred, gt)])
    # cos = 0.5 -> 60 deg; cos = 0.6 sqrt(2) -> 31.95 deg; cos = 1.2 is
    # clipped to 1 -> 0 deg
    angles = [60.0, math.degrees(math.acos(0.6 * math.sqrt(2))), 0.0]
    assert res['mean'] == pytest.approx(sum(angles) / 3, rel=1e-6)
    # 'rmse' stays a true RMSE (the reference's 'rmse' key is the mean)
    assert res['rmse'] == pytest.approx(
        math.sqrt(sum(a * a for a in angles) / 3), rel=1e-6)
    assert res['11.25'] == pytest.approx(100 / 3)
    assert res['30'] == pytest.approx(100 / 3)  # 31.95 is not < 30


def test_literature_zero_prediction_scores_90_degrees():
    lit = LiteratureNormalsEvaluator(get_task('normals'))
    stats = lit.process_image(_normals([[0, 0, 0]]), _normals([[0, 0, 0.7]]))
    assert stats['sum'] == pytest.approx(90)


def test_normalize_gt_option_equals_the_other_protocol():
    lit = NormalsEvaluator(get_task('normals'), normalize_gt=False)
    exact = LiteratureNormalsEvaluator(get_task('normals'), normalize_gt=True)
    gt = _normals([[0, 0, 0.5], [0.3, 0, 0.4]])
    pred = _normals([[1, 0, 1], [0, 1, 1]])
    assert lit.process_image(pred, gt)['sum'] == pytest.approx(
        LiteratureNormalsEvaluator(get_task('normals')).process_image(
            pred, gt)['sum'])
    assert exact.process_image(pred, gt)['sum'] == pytest.approx(
        NormalsEvaluator(get_task('normals')).process_image(pred, gt)['sum'])


def test_literature_gt_bound_allows_bicubic_overshoot_only():
    lit = LiteratureNormalsEvaluator(get_task('normals'))
    exact = NormalsEvaluator(get_task('normals'))
    overshoot = _normals([[0, 0, 1.5]])
    assert lit.process_image(_normals([UP]), overshoot)['n'] == 1
    with pytest.raises(ValueError, match=r'\[-1, 1\]'):
        exact.process_image(_normals([UP]), overshoot)
    with pytest.raises(ValueError, match=r'\[-2, 2\]'):
        lit.process_image(_normals([UP]), _normals([[0, 0, 127.5]]))
