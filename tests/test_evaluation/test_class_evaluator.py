"""Hand-computed cases of the class-map (mIoU / aAcc) evaluator."""
import dataclasses
import math

import pytest
import torch

from mmvmt.evaluation.metrics import ClassTaskEvaluator
from mmvmt.evaluation.metrics.class_evaluator import resolve_class_names
from mmvmt.tasks import get_task


def _t(rows):
    return torch.tensor([rows])


def _eval(pairs, num_classes=3, **kwargs):
    ev = ClassTaskEvaluator(
        get_task('semseg'), num_classes=num_classes, **kwargs)
    return ev, ev.compute([ev.process_image(_t(p), _t(g)) for p, g in pairs])


# gt [[0, 0, 1], [2, 255, 1]] vs pred [[0, 1, 1], [2, 0, 0]]: valid pairs
# (gt, pred) = (0,0) (0,1) (1,1) (2,2) (1,0); the ignored pixel drops out.
PRED = [[0, 1, 1], [2, 0, 0]]
GT = [[0, 0, 1], [2, 255, 1]]


def test_miou_and_aacc_by_hand():
    ev, res = _eval([(PRED, GT)])
    # IoU0 = 1 / (2 + 2 - 1), IoU1 = 1 / (2 + 2 - 1), IoU2 = 1 / 1
    assert res['mIoU'] == pytest.approx((1 / 3 + 1 / 3 + 1) / 3 * 100)
    assert res['aAcc'] == pytest.approx(3 / 5 * 100)
    stats = ev.process_image(_t(PRED), _t(GT))
    assert stats['n'] == 5
    assert stats['confusion'].tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]


def test_absent_class_counts_as_zero():
    # class 3 appears neither in gt nor in pred: IoU 0, unlike a nan-mean.
    _, res = _eval([(PRED, GT)], num_classes=4)
    assert res['mIoU'] == pytest.approx((1 / 3 + 1 / 3 + 1 + 0) / 4 * 100)


def test_counts_accumulate_over_the_split():
    # image A: 4 pixels of class 0, all right; image B: gt [1,1,0,0],
    # pred [1,0,0,0]. Split counts: TP0 = 6, FN1 = FP0 = 1, TP1 = 1.
    a = ([[0, 0, 0, 0]], [[0, 0, 0, 0]])
    b = ([[1, 0, 0, 0]], [[1, 1, 0, 0]])
    _, res = _eval([a, b], num_classes=2)
    assert res['mIoU'] == pytest.approx((6 / 7 + 1 / 2) / 2 * 100)
    assert res['aAcc'] == pytest.approx(7 / 8 * 100)
    # not the mean of per-image mIoUs: (1 + 0) / 2 for A (class 1 absent
    # gives 0) and (2/3 + 1/2) / 2 for B
    per_image = ((1 + 0) / 2 + (2 / 3 + 1 / 2) / 2) / 2 * 100
    assert res['mIoU'] != pytest.approx(per_image)


def test_all_ignore_image_contributes_nothing():
    ignore = ([[1, 2, 0], [2, 2, 2]], [[255] * 3, [255] * 3])
    _, with_ignore = _eval([(PRED, GT), ignore])
    _, without = _eval([(PRED, GT)])
    assert with_ignore == without


def test_empty_split_is_nan():
    _, res = _eval([([[1, 2]], [[255, 255]])])
    assert math.isnan(res['mIoU']) and math.isnan(res['aAcc'])


def test_skip_background_only_images():
    background = ([[1, 1, 1]], [[0, 0, 0]])
    _, plain = _eval([(PRED, GT), background])
    _, skipped = _eval([(PRED, GT), background], skip_background_only=True)
    _, alone = _eval([(PRED, GT)])
    assert skipped == alone
    assert plain['aAcc'] == pytest.approx(3 / 8 * 100)
    # a background image with an ignored pixel is not skipped (ASTMT rule)
    mixed = ([[1, 1, 1]], [[0, 0, 255]])
    _, kept = _eval([(PRED, GT), mixed], skip_background_only=True)
    assert kept['aAcc'] == pytest.approx(3 / 7 * 100)


@pytest.mark.parametrize('pred,gt,match', [
    ([[0, 3]], [[0, 1]], r'pred_semseg holds class ids in \[0, 3\]'),
    ([[0, 1]], [[0, 7]], r'gt_semseg holds class ids in \[0, 7\]'),
    ([[0, -1]], [[0, 1]], 'expected'),
])
def test_out_of_range_ids_raise(pred, gt, match):
    ev = ClassTaskEvaluator(get_task('semseg'), num_classes=3)
    with pytest.raises(ValueError, match=match):
        ev.process_image(_t(pred), _t(gt))


def test_out_of_range_pred_at_ignored_pixel_is_fine():
    ev = ClassTaskEvaluator(get_task('semseg'), num_classes=3)
    assert ev.process_image(_t([[0, 9]]), _t([[0, 255]]))['n'] == 1


def test_bad_inputs_raise():
    ev = ClassTaskEvaluator(get_task('semseg'), num_classes=3)
    with pytest.raises(ValueError, match='integer class ids'):
        ev.process_image(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2).long())
    with pytest.raises(ValueError, match='spatial size'):
        ev.process_image(torch.zeros(1, 2, 3).long(), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r'must have shape \(1, H, W\)'):
        ev.process_image(torch.zeros(2, 2).long(), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match='positive int'):
        ClassTaskEvaluator(get_task('semseg'), num_classes=0)
    with pytest.raises(ValueError, match='kind'):
        ClassTaskEvaluator(get_task('sal'))


def test_ignore_value_comes_from_the_table_entry():
    spec = dataclasses.replace(get_task('semseg'), ignore_value=9)
    ev = ClassTaskEvaluator(spec, num_classes=3)
    assert ev.process_image(_t([[0, 1]]), _t([[0, 9]]))['n'] == 1
    with pytest.raises(ValueError, match=r'\[0, 2\] or 9 \(ignore\)'):
        ev.process_image(_t([[0, 1]]), _t([[0, 255]]))


def test_unknown_number_of_classes_raises():
    ev = ClassTaskEvaluator(get_task('human_parts'))
    with pytest.raises(ValueError, match='num_classes'):
        ev.process_image(_t([[0]]), _t([[0]]))


def test_resolve_class_names():
    meta = dict(
        classes=('bg', 'cat'), task_classes=dict(human_parts=['bg', 'head']))
    assert resolve_class_names('human_parts', meta, None) == ['bg', 'head']
    assert resolve_class_names('human_parts', meta, 2) == ['bg', 'head']
    # mmseg's 'classes' is not read, for any task
    assert resolve_class_names('semseg', meta, None) is None
    assert resolve_class_names('semseg', meta, 2) == ['0', '1']
    assert resolve_class_names('human_parts', None, 2) == ['0', '1']
    with pytest.raises(ValueError, match='num_classes=3'):
        resolve_class_names('human_parts', meta, 3)
