"""Hand-computed cases of the depth evaluator."""
import math

import pytest
import torch

from mmvmt.evaluation.metrics import DepthEvaluator, LiteratureDepthEvaluator
from mmvmt.tasks import get_task

# gt 0 is invalid; predictions 2, 2, 0 at gt 1, 2, 4.
PRED = torch.tensor([[[2.0, 2.0], [9.0, 0.0]]])
GT = torch.tensor([[[1.0, 2.0], [0.0, 4.0]]])


def test_depth_metrics_by_hand():
    ev = DepthEvaluator(get_task('depth'))
    stats = ev.process_image(PRED, GT)
    assert stats['n'] == 3 and stats['n_log'] == 2
    res = ev.compute([stats])
    assert res['rmse'] == pytest.approx(math.sqrt((1 + 0 + 16) / 3))
    assert res['abs_rel'] == pytest.approx((1 / 1 + 0 + 4 / 4) / 3)
    # the zero prediction is left out of log_rmse
    assert res['log_rmse'] == pytest.approx(math.sqrt(math.log(2)**2 / 2))


def test_log_min_pred_clamps_like_multi_task_transformer():
    ev = DepthEvaluator(get_task('depth'), log_min_pred=1e-9)
    res = ev.compute([ev.process_image(PRED, GT)])
    expected = (math.log(2)**2 + (math.log(4) - math.log(1e-9))**2) / 3
    assert res['log_rmse'] == pytest.approx(math.sqrt(expected))
    with pytest.raises(ValueError, match='log_min_pred'):
        DepthEvaluator(get_task('depth'), log_min_pred=0)


def test_rmse_pools_pixels_over_images():
    ev = DepthEvaluator(get_task('depth'))
    a = ev.process_image(torch.full((1, 1, 1), 3.0), torch.ones(1, 1, 1))
    b = ev.process_image(torch.ones(1, 1, 1), torch.ones(1, 1, 1))
    # pooled sqrt((4 + 0) / 2), not the mean of per-image RMSEs (2 + 0) / 2
    assert ev.compute([a, b])['rmse'] == pytest.approx(math.sqrt(2))


def test_empty_split_and_bad_inputs():
    ev = DepthEvaluator(get_task('depth'))
    res = ev.compute(
        [ev.process_image(torch.ones(1, 1, 2), torch.zeros(1, 1, 2))])
    assert all(math.isnan(v) for v in res.values())
    with pytest.raises(ValueError, match='non-finite'):
        ev.process_image(torch.tensor([[[float('inf')]]]), torch.ones(1, 1, 1))
    with pytest.raises(ValueError, match='>= 0'):
        ev.process_image(torch.ones(1, 1, 1), -torch.ones(1, 1, 1))
    with pytest.raises(ValueError, match='float metres'):
        ev.process_image(torch.ones(1, 1, 1).long(), torch.ones(1, 1, 1))


def test_literature_clamps_by_default_and_can_skip():
    lit = LiteratureDepthEvaluator(get_task('depth'))
    clamped = DepthEvaluator(get_task('depth'), log_min_pred=1e-9)
    res = lit.compute([lit.process_image(PRED, GT)])
    assert res == clamped.compute([clamped.process_image(PRED, GT)])
    assert res['log_rmse'] == pytest.approx(
        math.sqrt((math.log(2)**2 + (math.log(4) - math.log(1e-9))**2) / 3))
    # log_min_pred=None restores the 'exact' rule under 'literature'
    skip = LiteratureDepthEvaluator(get_task('depth'), log_min_pred=None)
    exact = DepthEvaluator(get_task('depth'))
    assert skip.compute([skip.process_image(PRED, GT)
                         ]) == exact.compute([exact.process_image(PRED, GT)])
