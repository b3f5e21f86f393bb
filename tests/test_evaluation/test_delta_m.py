"""delta_m definitions and sign conventions."""
import math

import pytest

from mmvmt.evaluation.metrics import compute_delta_m, parse_baseline

DEFAULTS = dict(semseg='mIoU', sal='mIoU', normals='mean')
AVAILABLE = dict(
    semseg={'mIoU': True, 'aAcc': True},
    sal={'mIoU': True, 'maxF': True},
    normals={'mean': False, 'median': False, '30': True})


def _delta(metrics, baseline):
    return compute_delta_m(metrics,
                           parse_baseline(baseline, DEFAULTS, AVAILABLE))


def test_delta_m_by_hand():
    out = _delta({'semseg/mIoU': 55.0, 'normals/mean': 18.0},
                 dict(semseg=50.0, normals=20.0))
    assert out['multitask/delta_semseg'] == pytest.approx(10.0)
    # lower is better: 18 vs 20 is a 10% improvement
    assert out['multitask/delta_normals'] == pytest.approx(10.0)
    assert out['multitask/delta_m'] == pytest.approx(10.0)


def test_improving_a_lower_is_better_metric_raises_delta_m():
    base = dict(semseg=50.0, normals=20.0)
    worse = _delta({'semseg/mIoU': 50.0, 'normals/mean': 22.0}, base)
    same = _delta({'semseg/mIoU': 50.0, 'normals/mean': 20.0}, base)
    better = _delta({'semseg/mIoU': 50.0, 'normals/mean': 19.0}, base)
    assert worse['multitask/delta_m'] == pytest.approx(-5.0)
    assert same['multitask/delta_m'] == 0
    assert better['multitask/delta_m'] == pytest.approx(2.5)


def test_other_metric_and_direction_from_the_metric():
    out = _delta({'sal/maxF': 80.0, 'normals/30': 60.0},
                 dict(sal=dict(metric='maxF', value=40.0),
                      normals=dict(metric='30', value=50.0)))
    assert out['multitask/delta_sal'] == pytest.approx(100.0)
    assert out['multitask/delta_normals'] == pytest.approx(20.0)
    assert out['multitask/delta_m'] == pytest.approx(60.0)


def test_literature_numbers():
    # MTLoRA r=64 against the Swin-T single-task baselines: reported 2.55
    base = dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97)
    avail = dict(AVAILABLE, human_parts={'mIoU': True})
    parsed = parse_baseline(base, dict(DEFAULTS, human_parts='mIoU'), avail)
    out = compute_delta_m(
        {'semseg/mIoU': 67.9, 'human_parts/mIoU': 59.84, 'sal/mIoU': 65.4,
         'normals/mean': 16.6}, parsed)
    assert out['multitask/delta_m'] == pytest.approx(2.55, abs=0.01)


def test_no_baseline_gives_nothing():
    assert compute_delta_m({'semseg/mIoU': 1.0}, {}) == {}


def test_nan_metric_propagates():
    out = _delta({'semseg/mIoU': float('nan')}, dict(semseg=50.0))
    assert math.isnan(out['multitask/delta_m'])


@pytest.mark.parametrize('baseline,match', [
    (dict(depth=1.0), 'not evaluated'),
    (dict(sal=dict(metric='odsF', value=1.0)), "unknown metric 'odsF'"),
    (dict(sal=dict(value=1.0)), r'dict\(metric=..., value=...\)'),
    (dict(semseg=0.0), 'positive finite'),
    (dict(semseg=float('inf')), 'positive finite'),
    (dict(semseg=True), 'positive finite'),
    (dict(semseg='67'), 'positive finite'),
])
def test_bad_baselines_raise(baseline, match):
    with pytest.raises(ValueError, match=match):
        parse_baseline(baseline, DEFAULTS, AVAILABLE)
