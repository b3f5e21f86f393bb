"""delta_m: definitions, and signs that follow the task table."""
import math

import pytest

from mmvmt.evaluation.metrics import compute_delta_m, parse_baseline
from mmvmt.tasks import TASKS

#: Whether higher is better, for every metric key, written out by hand from
#: the benchmarks' definitions (not read from the table).
HIGHER_IS_BETTER = {
    'semseg/mIoU': True,
    'semseg/aAcc': True,
    'human_parts/mIoU': True,
    'human_parts/aAcc': True,
    'sal/mIoU': True,
    'sal/maxF': True,
    'sal/maxF_astmt': True,
    'sal/maxF_beta': True,
    'normals/mean': False,
    'normals/median': False,
    'normals/rmse': False,
    'normals/11.25': True,
    'normals/22.5': True,
    'normals/30': True,
    'depth/rmse': False,
    'depth/abs_rel': False,
    'depth/log_rmse': False,
    'edge/odsF': True,
}


def _delta(metrics, baseline):
    return compute_delta_m(metrics, parse_baseline(baseline))


def test_the_table_lists_every_metric_key():
    assert {
        f'{task}/{name}'
        for task, spec in TASKS.items()
        for name in spec.higher_is_better
    } == set(HIGHER_IS_BETTER)


@pytest.mark.parametrize('key,higher', HIGHER_IS_BETTER.items())
def test_sign_of_every_metric(key, higher):
    # 10% above the baseline is +10% if higher is better, else -10%.
    task, name = key.split('/')
    out = _delta({key: 11.0}, {task: dict(metric=name, value=10.0)})
    assert out[f'multitask/delta_{task}'] == pytest.approx(
        10.0 if higher else -10.0)


def test_mixed_directions_by_hand():
    # primary metrics: semseg mIoU 55 vs 50 -> +10; normals mean 18 vs 20
    # -> +10 (lower is better); depth rmse 0.6 vs 0.5 -> -20; edge odsF
    # 60 vs 80 -> -25. delta_m = (10 + 10 - 20 - 25) / 4.
    out = _delta(
        {
            'semseg/mIoU': 55.0,
            'normals/mean': 18.0,
            'depth/rmse': 0.6,
            'edge/odsF': 60.0
        }, dict(semseg=50.0, normals=20.0, depth=0.5, edge=80.0))
    assert out == pytest.approx({
        'multitask/delta_semseg': 10.0,
        'multitask/delta_normals': 10.0,
        'multitask/delta_depth': -20.0,
        'multitask/delta_edge': -25.0,
        'multitask/delta_m': -6.25,
    })


def test_improving_a_lower_is_better_metric_raises_delta_m():
    base = dict(semseg=50.0, normals=20.0)
    worse = _delta({'semseg/mIoU': 50.0, 'normals/mean': 22.0}, base)
    same = _delta({'semseg/mIoU': 50.0, 'normals/mean': 20.0}, base)
    better = _delta({'semseg/mIoU': 50.0, 'normals/mean': 19.0}, base)
    assert worse['multitask/delta_m'] == pytest.approx(-5.0)
    assert same['multitask/delta_m'] == 0
    assert better['multitask/delta_m'] == pytest.approx(2.5)


def test_literature_numbers():
    # MTLoRA r=64 against the Swin-T single-task baselines: reported 2.55
    base = dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97)
    out = _delta(
        {
            'semseg/mIoU': 67.9,
            'human_parts/mIoU': 59.84,
            'sal/mIoU': 65.4,
            'normals/mean': 16.6
        }, base)
    assert out['multitask/delta_m'] == pytest.approx(2.55, abs=0.01)


def test_plain_number_is_the_primary_metric():
    parsed = parse_baseline(
        dict(sal=62.0, normals=dict(metric='30', value=50.0)))
    assert parsed['sal'] == ('mIoU', 62.0)
    assert parsed['normals'] == ('30', 50.0)


def test_no_baseline_gives_nothing():
    assert compute_delta_m({'semseg/mIoU': 1.0}, {}) == {}


def test_nan_metric_propagates():
    out = _delta({'semseg/mIoU': float('nan')}, dict(semseg=50.0))
    assert math.isnan(out['multitask/delta_m'])


@pytest.mark.parametrize('baseline,match', [
    (dict(sal=dict(metric='odsF', value=1.0)), "unknown metric 'odsF'"),
    (dict(sal=dict(value=1.0)), r'dict\(metric=..., value=...\)'),
    (dict(semseg=0.0), 'positive finite'),
    (dict(semseg=float('inf')), 'positive finite'),
    (dict(semseg=True), 'positive finite'),
    (dict(semseg='67'), 'positive finite'),
])
def test_bad_baselines_raise(baseline, match):
    with pytest.raises(ValueError, match=match):
        parse_baseline(baseline)


def test_unknown_task_raises():
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        parse_baseline(dict(segm=50.0))
