"""tools/analysis_tools/benchmark_methods.py, in-process."""
import glob
import json
import os.path as osp

import pytest
from mmseg.registry import MODELS
from tool_runs import load_tool

from mmvmt.tasks import TASKS
from mmvmt.utils.param_count import count_parameters

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
bench = load_tool('analysis_tools/benchmark_methods')
count_params = load_tool('analysis_tools/count_params')

QUICK_METHODS = ('decoder-only', 'vmt', 'fullft-st')
KEYS = ('forward_ms', 'train_step_ms', 'train_memory_mb')


@pytest.fixture(scope='module')
def quick(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('bench') / 'bench.json')
    results = bench.main(['--quick', '--tasks', '1,4', '--json', out])
    with open(out) as f:
        written = json.load(f)
    return results, written


def test_quick_table_is_complete(quick, capsys):
    results, written = quick
    assert {(r['method'], r['tasks'])
            for r in results} == {(m, t)
                                  for m in QUICK_METHODS
                                  for t in (1, 4)}
    assert written['results'] == results
    for res in results:
        for key in KEYS:
            assert res[key] > 0, (res['method'], key)
            for ref in ('decoder-only', 'vmt'):
                assert res[f'{key}_x_{ref}'] > 0
    table = bench.format_table(results, ['decoder-only', 'vmt'])
    lines = table.splitlines()
    assert len(lines) == 2 + len(results)
    assert all(line.count('|') == lines[0].count('|') for line in lines)
    assert ' - ' not in table and 'nan' not in table


def test_reference_ratios_are_exactly_one(quick):
    results, _ = quick
    for ref in ('decoder-only', 'vmt'):
        rows = [r for r in results if r['method'] == ref]
        assert len(rows) == 2
        for row in rows:
            assert all(row[f'{key}_x_{ref}'] == 1.0 for key in KEYS)


def test_single_task_row_is_t_times_one_model(quick):
    results, _ = quick
    rows = {r['tasks']: r for r in results if r['method'] == 'fullft-st'}
    for num_tasks, row in rows.items():
        one = row['one_model']
        assert row['times_models'] == num_tasks
        assert row['forward_ms'] == num_tasks * one['forward_ms']
        assert row['train_step_ms'] == num_tasks * one['train_step_ms']
        assert row['trainable'] == num_tasks * one['trainable']
    # the same single-task model at both T: parameters scale exactly
    assert rows[4]['trainable'] == 4 * rows[1]['trainable']
    assert rows[4]['backbone_trainable'] == 4 * rows[1]['backbone_trainable']
    # multi-task rows are one model
    assert all(r['times_models'] == 1 for r in results
               if r['method'] != 'fullft-st')


def test_quick_params_are_the_built_models(quick):
    results, _ = quick
    row = next(r for r in results if r['method'] == 'vmt' and r['tasks'] == 4)
    model = MODELS.build(
        bench.load_model_cfg(osp.join(REPO, row['config']), 4, quick=True))
    counts = count_parameters(model)
    assert row['trainable'] == counts['total']['trainable']
    # frozen decoder-only backbone
    assert all(r['backbone_trainable'] == 0 for r in results
               if r['method'] == 'decoder-only')


def test_params_equal_count_params_tool(capsys):
    path = osp.join(REPO, 'configs/vmt', 'vmt' + bench.SUFFIX)
    results = bench.main([path, '--params-only'])
    capsys.readouterr()
    count_params.main([path, '--json'])
    summary = json.loads(capsys.readouterr().out)
    assert len(results) == 1
    assert results[0]['backbone_trainable'] == summary['backbone_trainable']
    assert results[0]['total'] == summary['total_params']
    assert 'forward_ms' not in results[0]


def test_default_set_discovers_every_method_config():
    paths = bench.default_configs()
    names = [bench.method_name(p) for p in paths]
    assert len(set(names)) == len(names)
    assert names[:3] == ['vmt', 'vmt-lite', 'fullft-st']
    found = glob.glob(osp.join(REPO, 'configs/baselines', '*' + bench.SUFFIX))
    assert set(found) <= set(paths)
    assert {'decoder-only', 'fullft', 'lora-r4-shared'} <= set(names)


def test_heads_follow_the_number_of_tasks():
    path = osp.join(REPO, 'configs/vmt', 'vmt' + bench.SUFFIX)
    six = bench.load_model_cfg(path, 6)
    assert list(
        six['decode_heads']) == ['semseg', 'human_parts', 'sal', 'normals'] + [
            t for t in TASKS
            if t not in ('semseg', 'human_parts', 'sal', 'normals')
        ]
    assert six['decode_heads']['semseg']['num_classes'] == 21
    assert 'num_classes' not in six['decode_heads']['depth']
    assert six['backbone']['init_cfg'] is None
    assert list(bench.load_model_cfg(
        path, 2)['decode_heads']) == ['semseg', 'human_parts']


@pytest.mark.parametrize('argv', [['--tasks', 'two'], ['--tasks', '0'],
                                  ['--tasks', str(len(TASKS) + 1)]])
def test_bad_task_counts_are_refused(argv):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)


def test_unknown_method_is_named():
    args = bench.parse_args(['no-such-method', '--params-only'])
    with pytest.raises(ValueError, match='no-such-method'):
        bench.benchmark(args)
