"""tools/analysis_tools/make_baseline.py: T single-task metrics.json in, a
baseline file out, delta_m with it equal to a hand computation."""
import hashlib
import json
import os.path as osp

import pytest
import torch
from tool_runs import load_tool

from mmvmt.engine.hooks.multitask_output_hook import MultiTaskOutputHook
from mmvmt.evaluation import MultiTaskMetric
from mmvmt.evaluation.metrics.delta_m import compute_delta_m, load_baseline
from mmvmt.fileio.baseline_file import read_baseline_file
from mmvmt.structures import MultiTaskDataSample

#: What tools/test.py --out writes for each single-task PASCAL run (the
#: configs/single_task configs add a delta_m against the literature).
RUNS = {
    'semseg': {
        'semseg/mIoU': 70.0,
        'semseg/aAcc': 90.0,
        'multitask/delta_semseg': 4.15,
        'multitask/delta_m': 4.15
    },
    'human_parts': {
        'human_parts/mIoU': 60.0,
        'human_parts/aAcc': 88.0
    },
    'sal': {
        'sal/mIoU': 65.0,
        'sal/maxF': 80.0,
        'sal/maxF_astmt': 79.0,
        'sal/maxF_beta': 78.0
    },
    'normals': {
        'normals/mean': 18.0,
        'normals/median': 15.0,
        'normals/rmse': 25.0,
        'normals/11.25': 40.0,
        'normals/22.5': 70.0,
        'normals/30': 80.0
    },
}


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools/make_baseline')


def _write(tmp_path, name, data):
    path = tmp_path / name / 'metrics.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return str(path)


@pytest.fixture
def runs(tmp_path):
    return [_write(tmp_path, f'st-{t}', m) for t, m in RUNS.items()]


def test_baseline_file_and_delta_m_by_hand(tool, runs, tmp_path, capsys):
    out = str(tmp_path / 'out' / 'baseline.json')
    tool.main(runs + ['--out', out])
    assert 'baseline file written' in capsys.readouterr().out
    # Each task's primary metric (TaskSpec.metric), in input order.
    assert read_baseline_file(out) == {
        'semseg': dict(metric='mIoU', value=70.0),
        'human_parts': dict(metric='mIoU', value=60.0),
        'sal': dict(metric='mIoU', value=65.0),
        'normals': dict(metric='mean', value=18.0),
    }
    # A multi-task model's results, delta_m by hand:
    #   semseg      +(71.4 - 70) / 70 * 100 = +2.0
    #   human_parts +(57.0 - 60) / 60 * 100 = -5.0
    #   sal         +(66.3 - 65) / 65 * 100 = +2.0
    #   normals     -(18.9 - 18) / 18 * 100 = -5.0  (lower is better)
    #   delta_m = (2 - 5 + 2 - 5) / 4 = -1.5
    multi = {
        'semseg/mIoU': 71.4,
        'human_parts/mIoU': 57.0,
        'sal/mIoU': 66.3,
        'normals/mean': 18.9
    }
    delta = compute_delta_m(multi, load_baseline(out))
    expected = dict(semseg=2.0, human_parts=-5.0, sal=2.0, normals=-5.0)
    for task, value in expected.items():
        assert delta[f'multitask/delta_{task}'] == pytest.approx(value)
    assert delta['multitask/delta_m'] == pytest.approx(-1.5)
    # The metric reads the same file.
    metric = MultiTaskMetric(baseline=out)
    assert compute_delta_m(multi, metric.baseline) == delta


def test_provenance_and_metric_override(tool, runs, tmp_path):
    out = str(tmp_path / 'baseline.json')
    configs = [f'configs/single_task/st-{t}.py' for t in RUNS]
    tool.main(
        runs +
        ['--out', out, '--metric', 'normals=median', 'sal=maxF', '--configs'] +
        configs)
    entries = read_baseline_file(out)
    assert entries['normals'] == dict(metric='median', value=15.0)
    assert entries['sal'] == dict(metric='maxF', value=80.0)
    with open(out) as f:
        sources = json.load(f)['sources']
    assert list(sources) == list(RUNS)
    for (task, source), path, config in zip(sources.items(), runs, configs):
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert source == dict(
            metrics_file=osp.abspath(path), sha256=digest, config=config)
    # delta_normals now compares medians: -(13.5 - 15) / 15 * 100 = +10.
    delta = compute_delta_m(
        {
            'semseg/mIoU': 70.0,
            'human_parts/mIoU': 60.0,
            'sal/maxF': 80.0,
            'normals/median': 13.5
        }, load_baseline(out))
    assert delta['multitask/delta_normals'] == pytest.approx(10.0)
    assert delta['multitask/delta_m'] == pytest.approx(2.5)


def test_a_task_in_two_files_is_refused(tool, runs, tmp_path):
    again = _write(tmp_path, 'st-semseg-2', RUNS['semseg'])
    with pytest.raises(ValueError, match="task 'semseg' is in two") as err:
        tool.main(runs + [again, '--out', str(tmp_path / 'b.json')])
    assert 'st-semseg-2' in str(err.value)
    assert not osp.exists(tmp_path / 'b.json')


@pytest.mark.parametrize('data, match', [
    ({
        'normals/median': 15.0
    }, r"st-bad/metrics.json' has no 'normals/mean'"),
    ({
        'semseg/mIoU': 70.0,
        'sal/mIoU': 65.0
    }, r"metrics of \['sal', 'semseg'\] task"),
    ({
        'multitask/delta_m': 1.0
    }, 'metrics of no task'),
    ({
        'semseg/mIoU': float('nan')
    }, r"'semseg/mIoU' = nan cannot be a delta_m baseline"),
    ({
        'semseg/mIoU': '70'
    }, r"'semseg/mIoU' must be a number"),
    ({
        'val/semseg/mIoU': 70.0
    }, r"key 'val/semseg/mIoU' is not"),
    ([70.0], 'must hold a JSON object'),
])
def test_bad_metrics_files_are_refused(tool, tmp_path, data, match):
    path = _write(tmp_path, 'st-bad', data)
    with pytest.raises((KeyError, ValueError), match=match) as err:
        tool.main([path, '--out', str(tmp_path / 'b.json')])
    assert 'st-bad' in str(err.value)


def test_unreadable_files_are_refused(tool, runs, tmp_path):
    out = ['--out', str(tmp_path / 'b.json')]
    with pytest.raises(FileNotFoundError, match='none/metrics.json'):
        tool.main([str(tmp_path / 'none' / 'metrics.json')] + out)
    broken = tmp_path / 'broken.json'
    broken.write_text('{"semseg/mIoU": 7')
    with pytest.raises(ValueError, match='broken.json.*not valid JSON'):
        tool.main([str(broken)] + out)
    with pytest.raises(OSError, match='cannot read metrics file'):
        tool.main([str(tmp_path)] + out)  # a directory


@pytest.mark.parametrize('args, match', [
    (['--metric', 'normals'], 'expected TASK=METRIC'),
    (['--metric', 'normals=mIoU'], r"normals reports \['mean'"),
    (['--metric', 'depth=rmse'], r"task\(s\) \['depth'\] that no metrics"),
    (['--metric', 'sal=maxF', 'sal=mIoU'], "task 'sal' twice"),
    (['--configs', 'a.py'], '1 config.*for 4 metrics file'),
])
def test_bad_options_are_refused(tool, runs, tmp_path, args, match):
    with pytest.raises(ValueError, match=match):
        tool.main(runs + ['--out', str(tmp_path / 'b.json')] + args)


def _samples(num=3, size=12):
    """Random semseg (21 classes) and normals predictions with gt."""
    gen = torch.Generator().manual_seed(0)

    def maps(task):
        if task == 'semseg':
            return torch.randint(0, 21, (1, size, size), generator=gen)
        vectors = torch.randn(3, size, size, generator=gen)
        return torch.nn.functional.normalize(vectors, dim=0)

    samples = []
    for i in range(num):
        sample = MultiTaskDataSample(metainfo=dict(img_path=f'{i}.jpg'))
        for task in ('semseg', 'normals'):
            sample.set_task_gt(task, maps(task))
            sample.set_task_pred(task, maps(task))
        samples.append(sample.to_dict())
    return samples


def test_runs_written_by_the_output_hook_give_delta_m_zero(tool, tmp_path):
    """Single-task runs through MultiTaskOutputHook's metrics.json; the
    same predictions scored against them have delta_m exactly 0."""
    tasks = ('semseg', 'normals')
    options = dict(semseg=dict(num_classes=21))
    paths = []
    for task in tasks:
        metric = MultiTaskMetric(
            tasks=(task, ),
            task_options={
                t: o
                for t, o in options.items() if t == task
            })
        metric.process({}, _samples())
        out_dir = str(tmp_path / f'st-{task}')
        MultiTaskOutputHook(out_dir).after_test_epoch(None, metric.evaluate(3))
        paths.append(osp.join(out_dir, 'metrics.json'))
    out = str(tmp_path / 'baseline.json')
    tool.main(paths + ['--out', out])
    metric = MultiTaskMetric(tasks=tasks, baseline=out, task_options=options)
    metric.process({}, _samples())
    res = metric.evaluate(3)
    assert read_baseline_file(out) == {
        'semseg': dict(metric='mIoU', value=res['semseg/mIoU']),
        'normals': dict(metric='mean', value=res['normals/mean']),
    }
    assert res['multitask/delta_semseg'] == 0.0
    assert res['multitask/delta_normals'] == 0.0
    assert res['multitask/delta_m'] == 0.0
