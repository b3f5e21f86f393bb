"""Hand-computed cases of the saliency (mIoU / maxF) evaluator."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from mmvmt.evaluation.metrics import SaliencyEvaluator
from mmvmt.evaluation.metrics.base_task_evaluator import count_passing
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
    assert math.isnan(res['mIoU']) and math.isnan(res['maxF'])


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
