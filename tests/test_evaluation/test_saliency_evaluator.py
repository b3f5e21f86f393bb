"""Hand-computed cases of the saliency (mIoU / maxF) evaluator."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from mmvmt.evaluation.metrics import SaliencyEvaluator
from mmvmt.evaluation.metrics.base_task_evaluator import count_passing
from mmvmt.evaluation.metrics.f_measures import BETA_THRESHOLDS
from mmvmt.evaluation.metrics.saliency_evaluator import (F_THRESHOLDS,
                                                         IOU_THRESHOLDS)
from mmvmt.tasks import get_task


def _pair(pred, gt):
    return (torch.tensor([pred], dtype=torch.float32), torch.tensor([gt]))


# gt foreground = top row; pred 0.9 / 0.3 on it, 0.5 / 0.1 below.
IMG = _pair([[0.9, 0.3], [0.5, 0.1]], [[1, 1], [0, 0]])
# no foreground anywhere, nothing predicted above 0.2: IoU 1.
EMPTY = _pair([[0.1, 0.1]], [[0, 0]])


def _run(*pairs, **kwargs):
    ev = SaliencyEvaluator(get_task('sal'), **kwargs)
    return ev.compute([ev.process_image(*p) for p in pairs])


def test_thresholds_are_the_benchmark_ones():
    assert np.allclose(IOU_THRESHOLDS, np.linspace(0.2, 0.9, 15))
    assert len(F_THRESHOLDS) == 19
    assert F_THRESHOLDS[0] == 0.05 and F_THRESHOLDS[-1] == 0.95


def test_per_image_iou_by_hand():
    ev = SaliencyEvaluator(get_task('sal'))
    iou = ev.process_image(*IMG)['iou']
    # t in {0.2, 0.25}: {0.9, 0.3, 0.5} -> 2 / 3; t in [0.3, 0.45]: 0.3 no
    # longer passes (strict >) -> 1 / 3; t in [0.5, 0.85]: {0.9} -> 1 / 2;
    # t = 0.9: nothing -> 0.
    expected = [2 / 3] * 2 + [1 / 3] * 4 + [1 / 2] * 8 + [0]
    assert iou == pytest.approx(expected)
    assert _run(IMG)['mIoU'] == pytest.approx(200 / 3)


def test_empty_prediction_and_gt_score_one():
    ev = SaliencyEvaluator(get_task('sal'))
    assert ev.process_image(*EMPTY)['iou'] == pytest.approx([1.0] * 15)
    # mean over the 2 images, then max over thresholds: (2/3 + 1) / 2
    assert _run(IMG, EMPTY)['mIoU'] == pytest.approx(250 / 3)


def test_ignored_pixels_are_excluded_from_the_iou():
    # the ignored pixel predicted salient would be a false positive
    ignored = _pair([[0.95, 0.95]], [[255, 1]])
    assert _run(ignored)['mIoU'] == pytest.approx(100)
    # an all-ignore image is left out of the average
    assert _run(IMG, _pair([[0.9, 0.1]], [[255, 255]])) == _run(IMG)


def test_max_f_by_hand():
    # >= t. t <= 0.1: P = 2/4, R = 1; 0.15..0.3: P = 2/3, R = 1;
    # 0.35..0.5: P = 1/2, R = 1/2; 0.55..0.9: P = 1, R = 1/2 -> best;
    # 0.95: nothing predicted -> 0.
    def f(p, r):
        return 1.3 * p * r / (0.3 * p + r)

    ev = SaliencyEvaluator(get_task('sal'))
    stats = ev.process_image(*IMG)
    assert stats['tp'].tolist() == [2] * 6 + [1] * 12 + [0]
    assert stats['pp'].tolist() == [4, 4, 3, 3, 3, 3, 2, 2, 2, 2] + [1] * 8 \
        + [0]
    assert _run(IMG)['maxF'] == pytest.approx(f(1, 0.5) * 100)
    assert f(1, 0.5) > max(f(0.5, 1), f(2 / 3, 1), f(0.5, 0.5))


def test_max_f_pools_counts_over_the_split():
    # image 2 is a miss at every threshold: pooled R halves, pooled P stays
    miss = _pair([[0.0, 0.0]], [[1, 1]])
    res = _run(IMG, miss)
    # candidates: t <= 0.1: P 2/4, R 2/4; 0.15..0.3: P 2/3, R 2/4;
    # 0.35..0.5: P 1/2, R 1/4; 0.55..0.9: P 1, R 1/4
    cands = [(0.5, 0.5), (2 / 3, 0.5), (0.5, 0.25), (1, 0.25)]
    best = max(1.3 * p * r / (0.3 * p + r) for p, r in cands)
    assert res['maxF'] == pytest.approx(best * 100)


def test_count_passing_inclusive_and_strict():
    values = torch.tensor([0.1, 0.5, 0.5, 0.9], dtype=torch.float64)
    thresholds = torch.tensor([0.1, 0.5, 0.9, 0.95], dtype=torch.float64)
    assert count_passing(values, thresholds, True).tolist() == [4, 3, 1, 0]
    assert count_passing(values, thresholds, False).tolist() == [3, 1, 0, 0]


def test_no_valid_pixel_in_split_is_nan():
    res = _run(_pair([[0.5]], [[255]]))
    assert set(res) == {'mIoU', 'maxF', 'maxF_astmt', 'maxF_beta'}
    assert all(math.isnan(v) for v in res.values())


def test_ignore_value_comes_from_the_table_entry():
    spec = dataclasses.replace(get_task('sal'), ignore_value=7)
    ev = SaliencyEvaluator(spec)
    assert ev.process_image(*_pair([[0.9, 0.9]], [[1, 7]]))['n'] == 1
    with pytest.raises(ValueError, match=r'0, 1 or 7 \(ignore\), found'):
        ev.process_image(*_pair([[0.9]], [[255]]))


def test_bad_inputs_raise():
    ev = SaliencyEvaluator(get_task('sal'))
    with pytest.raises(ValueError, match=r'probability in \[0, 1\]'):
        ev.process_image(torch.tensor([[[1.5]]]), torch.tensor([[[1]]]))
    with pytest.raises(ValueError, match='float probability'):
        ev.process_image(torch.tensor([[[1]]]), torch.tensor([[[1]]]))
    with pytest.raises(ValueError, match='must hold 0, 1 or 255'):
        ev.process_image(torch.tensor([[[0.5]]]), torch.tensor([[[3]]]))
    with pytest.raises(ValueError, match='ascending'):
        SaliencyEvaluator(get_task('sal'), iou_thresholds=(0.5, 0.2))


# ------------------------------------------------------- maxF flavours
def f1(p, r):
    return 2 * p * r / (p + r)


def f03(p, r):
    return 1.3 * p * r / (0.3 * p + r)


def test_beta_thresholds_are_the_float32_arange():
    assert BETA_THRESHOLDS == tuple(
        torch.arange(0.05, 1, 0.05, dtype=torch.float32).tolist())
    assert len(BETA_THRESHOLDS) == 19 and BETA_THRESHOLDS[9] == 0.5


def test_astmt_per_image_precision_recall_by_hand():
    ev = SaliencyEvaluator(get_task('sal'))
    p, r = ev.process_image(*IMG)['pr_astmt']
    # prob > t on linspace(0.2, 0.9, 15), as in test_per_image_iou_by_hand
    assert p == pytest.approx([2 / 3] * 2 + [1 / 2] * 4 + [1] * 8 + [0])
    assert r == pytest.approx([1] * 2 + [1 / 2] * 4 + [1 / 2] * 8 + [0])
    # beta = 1: best at t = 0.2, F = 2 (2/3) 1 / (5/3) = 0.8
    assert _run(IMG)['maxF_astmt'] == pytest.approx(80)


def test_astmt_image_without_foreground_counts_as_zero():
    # EMPTY has P = R = 0 at every threshold (its IoU is 1): the means halve
    ev = SaliencyEvaluator(get_task('sal'))
    assert ev.process_image(*EMPTY)['pr_astmt'] == pytest.approx(
        np.zeros((2, 15)))
    cands = [(1 / 3, 1 / 2), (1 / 4, 1 / 4), (1 / 2, 1 / 4)]
    best = max(f1(p, r) for p, r in cands)
    assert best == pytest.approx(0.4)
    assert _run(IMG, EMPTY)['maxF_astmt'] == pytest.approx(40)
    # a missed image (foreground, nothing predicted) also scores P = R = 0
    miss = _pair([[0.0, 0.0]], [[1, 1]])
    assert _run(IMG, miss)['maxF_astmt'] == pytest.approx(40)
    # an all-ignore image is left out, as for mIoU
    assert _run(IMG, _pair([[0.9]], [[255]]))['maxF_astmt'] == \
        pytest.approx(80)


def test_astmt_averages_per_image_not_pooled():
    # BIG: 4 foreground pixels at 0.95, P = R = 1 at every threshold
    big = _pair([[0.95] * 4], [[1] * 4])
    res = _run(IMG, big)
    # image means: t in {0.2, 0.25}: P 5/6, R 1; t in 0.3..0.45: P 3/4,
    # R 3/4; 0.5..0.85: P 1, R 3/4; 0.9: P 1/2, R 1/2
    assert res['maxF_astmt'] == pytest.approx(f1(5 / 6, 1) * 100)
    assert f1(5 / 6, 1) == pytest.approx(10 / 11)
    # pooled counts would give t = 0.2: TP 6, FP 1, 6 positives -> 12/13
    assert res['maxF_astmt'] != pytest.approx(f1(6 / 7, 1) * 100, abs=0.1)


def test_beta_counts_follow_the_double_sigmoid():
    # all negatives, so pp_beta counts sigmoid(p) >= t: t <= 0.5 passes
    # every p >= 0 (sigmoid(0) = 0.5 exactly, and >=); t = 0.55, 0.6,
    # 0.65, 0.7 cut at p >= 0.2007, 0.4055, 0.6190, 0.8473; t >= 0.75
    # passes nothing (sigmoid(1) = 0.731).
    probs = [0, 0.2, 0.21, 0.4, 0.41, 0.61, 0.62, 0.84, 0.85, 1.0]
    ev = SaliencyEvaluator(get_task('sal'))
    stats = ev.process_image(*_pair([probs], [[0] * len(probs)]))
    assert stats['pp_beta'].tolist() == [10] * 10 + [8, 6, 4, 2] + [0] * 5
    assert stats['tp_beta'].tolist() == [0] * 19
    assert stats['ap'] == 0


def test_max_f_beta_by_hand():
    # IMG: sigmoid of 0.9, 0.3 (fg) / 0.5, 0.1 (bg) = 0.711, 0.574 /
    # 0.622, 0.525. t <= 0.5: P 1/2, R 1; 0.55: P 2/3, R 1; 0.6: P 1/2,
    # R 1/2; 0.65, 0.7: P 1, R 1/2 -> best; >= 0.75: 0.
    ev = SaliencyEvaluator(get_task('sal'))
    stats = ev.process_image(*IMG)
    assert stats['tp_beta'].tolist() == [2] * 11 + [1] * 3 + [0] * 5
    assert stats['pp_beta'].tolist() == [4] * 10 + [3, 2, 1, 1] + [0] * 5
    assert _run(IMG)['maxF_beta'] == pytest.approx(f03(1, 0.5) * 100)


def test_max_f_beta_cannot_cut_above_0_85():
    # fg at 0.95, bg at 0.9: maxF separates them at t = 0.95 (F = 1); the
    # beta flavour's highest cut is p >= 0.8473, so P = 1/2, R = 1 at best
    res = _run(_pair([[0.95, 0.9]], [[1, 0]]))
    assert res['maxF'] == pytest.approx(100)
    assert res['maxF_beta'] == pytest.approx(f03(0.5, 1) * 100)
    # ASTMT's last threshold 0.9 separates them (strict >)
    assert res['maxF_astmt'] == pytest.approx(100)
