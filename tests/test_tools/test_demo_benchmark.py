"""The demo setting of tools/analysis_tools/paper_table.py (mmvmt.benchmark).

* the transplant: the hand-written demo configs ARE the transplant of their
  full configs, and every method gets the demo Swin, data and schedule and
  keeps everything else;
* the arithmetic: delta_m, spread, separations and the table on hand-made
  numbers (no training);
* the tool: failures exit non-zero naming the run and its log (fake runs),
  and one ``--quick`` end-to-end run gives a complete table.

The launchers, manifests and the literature setting: test_paper_table.py.
"""
import copy
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from tool_runs import load_tool

from mmvmt import benchmark as db
from mmvmt.benchmark import jobs as db_jobs
from mmvmt.benchmark.transplant import DATA_VARS, LOADERS, RUNTIME_KEYS
from mmvmt.fileio.metrics_file import read_metrics_file
from mmvmt.utils.param_count import count_parameters

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VMT = osp.join(REPO, 'configs', 'vmt')
PASCAL_TASKS = ('semseg', 'human_parts', 'sal', 'normals')
tool = load_tool('analysis_tools/paper_table')


def _cfg(path):
    return Config.fromfile(osp.join(REPO, path))


@pytest.fixture(scope='module')
def demo():
    return _cfg('configs/vmt/swin-t_pascal_demo.py')


@pytest.fixture(scope='module')
def methods():
    return db.methods_of('pascal', REPO)


# ------------------------------------------------------------- transplant
@pytest.mark.parametrize('full, demo_name, expected', [
    ('swin-t_pascal.py', 'swin-t_pascal_demo.py', 'swin-t_pascal_demo.py'),
    ('swin-t-lite_pascal.py', 'swin-t_pascal_demo.py',
     'swin-t-lite_pascal_demo.py'),
    ('swin-t_nyud.py', 'swin-t_nyud_demo.py', 'swin-t_nyud_demo.py'),
])
def test_the_demo_configs_are_the_transplant_of_their_configs(
        full, demo_name, expected):
    demo_cfg = Config.fromfile(osp.join(VMT, demo_name))
    # The demo reports no delta_m (no baseline on its data): baseline=None.
    out = db.to_demo_config(
        Config.fromfile(osp.join(VMT, full)), demo_cfg,
        baseline=None).to_dict()
    want = Config.fromfile(osp.join(VMT, expected)).to_dict()
    for key in ('val_evaluator', 'test_evaluator'):  # None == no baseline
        assert want[key].pop('baseline', None) is None
    # Model, data, schedule: the keys the runner reads, then everything.
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'val_evaluator', 'train_cfg',
                'param_scheduler', 'optim_wrapper', 'default_hooks',
                'env_cfg'):
        assert out[key] == want[key], key
    assert out == want
    swin = out['model']['backbone']
    assert swin['init_cfg']['type'] == 'Pretrained'
    assert osp.normpath(swin['init_cfg']['checkpoint']) == osp.join(
        REPO, 'demo', 'weights', 'swin-demo_source-seg.pth')


def _pop_transplanted(cfg: dict, demo: dict) -> dict:
    """Drop (and return) what to_demo_config sets, as the docstring says."""
    popped = {}
    for key in DATA_VARS + RUNTIME_KEYS + LOADERS:
        popped[key] = cfg.pop(key, None)
    for key in [
            k for k in demo if k.startswith('demo_') or 'semseg_cl' in k
            or k.endswith('_class_pixels')
    ] + ['num_semseg_classes']:
        popped[key] = cfg.pop(key, None)
    swin = db.find_swin(cfg['model']['backbone'])
    popped['swin'] = {
        k: swin.pop(k)
        for k in list(demo['demo_swin_arch']) + ['init_cfg']
    }
    popped['heads'] = {
        task: (head.pop('in_channels'), head.pop('num_classes', None))
        for task, head in cfg['model']['decode_heads'].items()
    }
    for head in cfg['model']['decode_heads'].values():
        head.pop('channels', None)  # the demo's head width and loss
        head.pop('loss_decode', None)
    return popped


@pytest.mark.parametrize('name', [
    'fullft-st', 'fullft', 'decoder-only', 'bitfit-shared', 'lora-r4-shared',
    'adapter-shared', 'mtlora-r16', 'polyhistor-lite', 'vmt', 'vmt-lite'
])
def test_every_method_gets_the_demo_and_keeps_the_rest(name, methods, demo):
    demo_dict = demo.to_dict()
    method = methods[name]
    for task, path in method.configs:
        own = _cfg(path)
        out = db.to_demo_config(own, demo).to_dict()
        own_dict = own.to_dict()
        got = _pop_transplanted(out, demo_dict)
        _pop_transplanted(own_dict, demo_dict)
        # Nothing else of the method changes (method, tasks, evaluator).
        assert out == own_dict
        # The demo Swin, wherever the method keeps it.
        for key, value in demo_dict['demo_swin_arch'].items():
            assert got['swin'][key] == value
        assert got['swin']['init_cfg'] == demo_dict['demo_swin_init_cfg']
        tasks = PASCAL_TASKS if task is None else (task, )
        assert set(got['heads']) == set(tasks)
        for head_task, (channels, classes) in got['heads'].items():
            assert channels == demo_dict['demo_head_in_channels']
            if head_task == 'semseg':
                assert classes == demo_dict['num_semseg_classes']
        # The demo data with the method's own tasks, the demo runtime.
        for key in LOADERS:
            loader = copy.deepcopy(got[key])
            assert tuple(loader['dataset'].pop('tasks')) == tasks
            expected = copy.deepcopy(demo_dict[key])
            expected['dataset'].pop('tasks')
            assert loader == expected
        for key in RUNTIME_KEYS:
            assert got[key] == demo_dict.get(key)


def _demo_swin_checkpoint(path: str) -> str:
    """A random Swin of the demo architecture, as mmseg saves it.

    Returns:
        str: ``path``; the Swin's parameter count is in
        ``torch.load(path)['meta']['params']``.
    """
    cfg = Config.fromfile(osp.join(VMT, 'swin-t_pascal_demo.py'))
    swin = dict(cfg.stock_swin, **cfg.demo_swin_arch, init_cfg=None)
    torch.manual_seed(0)
    model = MODELS.build(swin)
    params = sum(p.numel() for p in model.parameters())
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(params=params)), path)
    return path


def _swin_of(model):
    backbone = model.backbone
    inner = getattr(backbone, 'backbone', None)  # PEFTBackbone
    return inner if isinstance(inner, torch.nn.Module) else backbone


def test_every_method_loads_the_demo_swin_where_it_keeps_it(
        methods, demo, tmp_path):
    """The transplanted init_cfg is the one the method's Swin loads."""
    path = _demo_swin_checkpoint(str(tmp_path / 'swin.pth'))
    ckpt = torch.load(path)
    weights, swin_params = ckpt['state_dict'], ckpt['meta']['params']
    demo = copy.deepcopy(demo)
    db.set_swin_checkpoint(demo, path)
    trainable = {}
    for name, method in methods.items():
        if not method.transplant:  # the CNN reference: test_paper_table
            continue
        task, config = method.configs[0]
        cfg = db.to_demo_config(_cfg(config), demo)
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        state = _swin_of(model).state_dict()
        assert all(torch.equal(state[k], v) for k, v in weights.items()), name
        counts = count_parameters(model)
        pretrained = counts['backbone.pretrained']
        assert pretrained['trainable'] + pretrained['frozen'] == (
            swin_params), name
        trainable[name] = sum(v['trainable'] for g, v in counts.items()
                              if g.startswith('backbone.'))
    assert trainable['decoder-only'] == 0
    assert trainable['fullft'] == trainable['fullft-st'] == swin_params
    assert 0 < trainable['vmt-lite'] < trainable['vmt'] < 0.05 * swin_params


def test_baseline_is_kept_dropped_or_replaced(demo):
    full = Config.fromfile(osp.join(VMT, 'swin-t_pascal.py'))
    kept = db.to_demo_config(full, demo)
    assert kept.val_evaluator.baseline == full.val_evaluator.baseline
    dropped = db.to_demo_config(full, demo, baseline=None)
    assert 'baseline' not in dropped.val_evaluator
    assert 'baseline' not in dropped.test_evaluator
    new = db.to_demo_config(full, demo, baseline=dict(semseg=1.5))
    assert new.test_evaluator.baseline == dict(semseg=1.5)
    assert full.val_evaluator.baseline.semseg == 67.21  # input unchanged


def test_transplant_refuses_what_does_not_fit(demo):
    nyud = _cfg('configs/baselines/decoder-only'
                '_swin-t_4xb8-40k_nyud-mt-448x576.py')
    with pytest.raises(ValueError, match='NYUDMTDataset|pick the demo'):
        db.to_demo_config(nyud, demo)
    full = Config.fromfile(osp.join(VMT, 'swin-t_pascal.py'))
    with pytest.raises(ValueError, match="no 'demo_swin_arch'"):
        db.to_demo_config(demo, full)
    no_swin = copy.deepcopy(full)
    no_swin.model.backbone = dict(type='ResNetV1c', depth=18)
    with pytest.raises(ValueError, match='no Swin dict'):
        db.to_demo_config(no_swin, demo)


def test_set_schedule_scales_the_schedulers(demo):
    cfg = copy.deepcopy(demo)
    db.set_schedule(cfg, 60)
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (60, 60)
    assert [(s.type, s.begin, s.end)
            for s in cfg.param_scheduler] == [('LinearLR', 0, 2),
                                              ('CosineAnnealingLR', 2, 60)]
    assert (cfg.max_iters, cfg.warmup_iters) == (60, 2)
    db.set_schedule(cfg, 1)
    assert [(s.begin, s.end) for s in cfg.param_scheduler] == [(0, 1), (0, 1)]
    with pytest.raises(ValueError, match='max_iters must be >= 1'):
        db.set_schedule(cfg, 0)


def test_select_methods_always_adds_the_single_task_baseline(methods):
    assert list(db.select_methods(methods, ['vmt'])) == ['fullft-st', 'vmt']
    assert list(db.select_methods(
        methods, None, quick=True)) == ['fullft-st', 'decoder-only', 'vmt']
    assert list(db.select_methods(methods, None)) == list(methods)
    assert list(methods)[-1] == db.CNN_REFERENCE
    assert len(methods) == 11
    literature = db.methods_of('pascal', REPO, 'literature')
    assert db.CNN_REFERENCE not in literature and len(literature) == 17
    assert all('-literature-448x448.py' in p for m in literature.values()
               for _, p in m.configs)
    with pytest.raises(ValueError, match="unknown method.*'nope'"):
        db.select_methods(methods, ['nope'])
    nyud = db.methods_of('nyud', REPO)
    assert 'vmt-lite' not in nyud
    assert [t for t, _ in nyud['fullft-st'].configs
            ] == ['semseg', 'depth', 'normals']


# ------------------------------------------------------------- arithmetic
#: Single-task metrics per seed; baseline = the means 42, 50, 61, 21.
ST = dict(
    semseg=(40.0, 44.0),
    human_parts=(50.0, 50.0),
    sal=(60.0, 62.0),
    normals=(20.0, 22.0))
#: VMT's deltas per seed (%), normals lower is better: delta_m 1.25, 4.75.
VMT_DELTAS = ((10.0, -10.0, 0.0, 5.0), (0.0, 10.0, 20.0, -11.0))
BASE = dict(semseg=42.0, human_parts=50.0, sal=61.0, normals=21.0)


def _baseline(values=BASE):
    return {
        t: dict(metric='mean' if t == 'normals' else 'mIoU', value=v)
        for t, v in values.items()
    }


def _run(method, task, seed, metrics, sec, trainable, swin=1000):
    return dict(
        key=f'{db.run_name(method, task)}/seed{seed}',
        kind='train',
        method=method,
        task=task,
        seed=seed,
        status='finished',
        metrics=metrics,
        sec_per_iter=sec,
        backbone_trainable=trainable,
        backbone_params=swin,
        error=None,
        log=None)


def _key(task):
    return {'normals': 'normals/mean'}.get(task, f'{task}/mIoU')


def _hand_runs():
    runs = []
    for seed in (0, 1):
        for i, task in enumerate(PASCAL_TASKS):
            sec = 0.1 * (i + 1) + (0.2 if seed and task == 'normals' else 0)
            runs.append(
                _run('fullft-st', task, seed, {_key(task): ST[task][seed]},
                     sec, 1000))
        metrics = {}
        for task, delta in zip(PASCAL_TASKS, VMT_DELTAS[seed]):
            sign = -1 if task == 'normals' else 1
            metrics[_key(task)] = BASE[task] * (1 + sign * delta / 100)
        metrics['sal/maxF'] = 99.0  # not the primary metric: ignored
        runs.append(_run('vmt', None, seed, metrics, 0.5 + 0.1 * seed, 12))
    return runs


def _methods():
    return db.select_methods(db.methods_of('pascal', REPO), ['vmt'])


def _summary(runs=None, seeds=(0, 1), baseline=BASE):
    runs = _hand_runs() if runs is None else runs
    return db.summarize(runs, _methods(), PASCAL_TASKS, seeds,
                        None if baseline is None else _baseline(baseline))


def test_summary_matches_a_hand_computation():
    summary = _summary()
    st, vmt = summary['rows']
    assert (st['seeds'], st['missing'], vmt['kind']) == ([0, 1], [], 'multi')
    # VMT: delta_m 1.25 and 4.75 -> mean 3, sample std 3.5 / sqrt(2).
    assert vmt['delta_m']['values'] == pytest.approx([1.25, 4.75])
    assert vmt['delta_m']['mean'] == pytest.approx(3.0)
    assert vmt['delta_m']['spread'] == pytest.approx(3.5 / math.sqrt(2))
    assert vmt['deltas']['normals']['values'] == pytest.approx([5.0, -11.0])
    assert vmt['metrics']['normals']['mean'] == pytest.approx(
        (19.95 + 23.31) / 2)
    assert (vmt['backbone_trainable'], vmt['backbone_percent']) == (12, 1.2)
    assert vmt['sec_per_iter']['mean'] == pytest.approx(0.55)
    # Single-task: T models; its delta_m averages to 0 by construction.
    d0 = (-2 / 42 + 0 - 1 / 61 + 1 / 21) * 100 / 4
    assert st['delta_m']['values'] == pytest.approx([d0, -d0])
    assert st['delta_m']['mean'] == pytest.approx(0.0, abs=1e-12)
    assert st['backbone_trainable'] == 4000
    assert st['backbone_percent'] == 400.0
    assert st['sec_per_iter']['values'] == pytest.approx([1.0, 1.2])
    assert st['sec_per_iter']['spread'] == pytest.approx(0.2 / math.sqrt(2))


def test_table_prints_the_summary():
    lines = db.format_table(_summary(), PASCAL_TASKS).splitlines()
    assert lines[0] == ('| Method | Trainable backbone params | % of backbone '
                        '| semseg mIoU ↑ | human_parts mIoU ↑ | sal mIoU ↑ | '
                        'normals mean ↓ | Δm (%) ↑ | s / iter |')
    assert len(lines) == 4
    st = lines[2].split(' | ')
    assert st[:3] == [
        '| Single-task full fine-tuning (4 models)', '4,000', '400.00'
    ]
    assert st[3] == '42.00 ± 2.83'  # semseg 40, 44
    assert st[8].startswith('1.100 ± 0.141')
    vmt = lines[3].split(' | ')
    assert vmt[:3] == ['| VMT-Adapter', '12', '1.20']
    assert vmt[7] == '+3.00 ± 2.47'
    # One seed against seed 0's single-task numbers, no spread:
    # (46.2 / 40 - 1) + (45 / 50 - 1) + (61 / 60 - 1) - (19.95 / 20 - 1).
    one = _summary([r for r in _hand_runs() if r['seed'] == 0], (0, ),
                   dict(semseg=40.0, human_parts=50.0, sal=60.0, normals=20.0))
    assert one['rows'][1]['delta_m']['spread'] is None
    delta = (6.2 / 40 - 5 / 50 + 1 / 60 + 0.05 / 20) * 100 / 4
    assert one['rows'][1]['delta_m']['mean'] == pytest.approx(delta)
    cells = db.format_table(one, PASCAL_TASKS).splitlines()[3].split(' | ')
    assert cells[7] == f'{delta:+.2f}' == '+1.85'


def test_a_failed_run_is_marked_and_the_row_keeps_the_other_seeds():
    runs = _hand_runs()
    runs[-1].update(status='failed', error='boom', log='/w/vmt/train.log')
    summary = _summary(runs)
    st, vmt = summary['rows']
    assert st['seeds'] == [0, 1] and vmt['seeds'] == [0]
    assert vmt['missing'] == [
        dict(
            seed=1,
            task=None,
            status='failed',
            log='/w/vmt/train.log',
            error='boom')
    ]
    assert vmt['delta_m']['values'] == pytest.approx([1.25])
    row = db.format_table(summary, PASCAL_TASKS).splitlines()[3]
    assert row.startswith('| VMT-Adapter † | 12 |')
    notes = db.table_notes(summary, (0, 1), 5)
    assert ('† VMT-Adapter seed 1: failed (log: /w/vmt/train.log); not in '
            'the row.') in notes
    # Every seed failed: a row of dashes; no baseline: no delta_m at all.
    runs[4].update(status='failed')
    none = _summary(runs, baseline=None)
    assert none['rows'][1]['seeds'] == []
    assert db.format_table(none, PASCAL_TASKS).splitlines()[3] == (
        '| VMT-Adapter (failed †) | — | — | — | — | — | — | — | — |')
    assert 'delta_m' not in none['rows'][0]
    with pytest.raises(ValueError, match=r"has no \['normals'\]"):
        _summary(baseline=dict(semseg=1.0, human_parts=1.0, sal=1.0))


def test_separations_name_the_pairs_outside_the_spread():

    def row(label, values):
        return dict(label=label, delta_m=db.stats(values))

    rows = [
        row('A', [4.0, 6.0]),  # 5 +- 1.41
        row('B', [0.0, 1.0]),  # 0.5 +- 0.71: 4.5 > 2.12 from A
        row('C', [3.0, 5.0]),  # 4 +- 1.41: 1 < 2.83 from A; 3.5 > 2.12 B
        row('D', [9.0]),  # one seed: left out
        dict(label='E')  # no delta_m: left out
    ]
    found = db.separations(rows)
    assert [(s['higher'], s['lower']) for s in found] == [('A', 'B'),
                                                          ('C', 'B')]
    assert found[0]['difference'] == pytest.approx(4.5)
    assert found[0]['spread'] == pytest.approx(math.sqrt(2) + math.sqrt(0.5))
    lines = db.format_separations(rows)
    assert '2 of 3 pairs' in lines[0]
    assert lines[1] == '- A > B: +4.50 (spread 2.12)'
    assert lines[-1] == 'Every other pair is within the spread.'
    assert db.format_separations(rows[:1])[0].endswith(
        'needs two or more rows with at least two seeds each.')


def test_trivial_rows_show_what_they_cover():
    trivial = {
        'all-background': {
            'semseg/mIoU': 21.0,
            'human_parts/mIoU': 25.0
        },
        'everything': {
            'semseg/mIoU': 21.0,
            'human_parts/mIoU': 25.0,
            'sal/mIoU': 30.5,
            'normals/mean': 31.5  # each task -50 %
        }
    }
    rows = db.trivial_rows(trivial, PASCAL_TASKS, _baseline())
    assert [r['label'] for r in rows
            ] == ['Trivial: all-background', 'Trivial: everything']
    assert 'delta_m' not in rows[0]
    assert rows[1]['delta_m']['mean'] == pytest.approx(-50.0)
    assert rows[1]['delta_m']['spread'] is None
    table = db.format_table(_summary(), PASCAL_TASKS, rows).splitlines()
    assert table[4] == ('| Trivial: all-background | — | — | 21.00 | 25.00 '
                        '| — | — | — | — |')
    assert table[5].endswith('| 31.50 | -50.00 | — |')


def test_median_after_warmup():
    assert db.median_after_warmup([9.0, 1.0, 3.0, 2.0], 1) == 2.0
    assert db.median_after_warmup([9.0, 1.0], 5) == 1.0  # keeps the last
    with pytest.raises(ValueError, match='no iteration times'):
        db.median_after_warmup([], 1)


# ------------------------------------------------------------- the tool
@pytest.fixture
def fake_runs(monkeypatch):
    """Replace in-process training by the hand-made records; ``fail``
    picks failures."""
    hand = {(r['method'], r['task'], r['seed']): r for r in _hand_runs()}
    fail = set()

    def fake_train_run(cfg, warmup):
        key = next(
            k for k in hand if cfg.work_dir.endswith(
                osp.join(db.run_name(k[0], k[1]), f'seed{k[2]}')))
        assert cfg.randomness == dict(seed=key[2], deterministic=False)
        assert cfg.default_hooks.checkpoint is None
        record = dict(
            metrics=copy.deepcopy(hand[key]['metrics']),
            sec_per_iter=hand[key]['sec_per_iter'],
            iters=cfg.train_cfg.max_iters,
            backbone_trainable=hand[key]['backbone_trainable'],
            backbone_params=hand[key]['backbone_params'],
            wall_s=0.0,
            error=None)
        if key in fail:
            record['error'] = 'Traceback\nRuntimeError: boom'
        return record

    monkeypatch.setattr(db_jobs, 'train_run', fake_train_run)
    return fail


def _tool_args(tmp_path, *extra):
    return [
        '--methods', 'vmt', '--seeds', '0', '1', '--data-root',
        str(tmp_path), '--backbone-checkpoint', 'none', '--work-dir',
        str(tmp_path / 'work'), '--no-efficiency', '--no-trivial', *extra
    ]


def test_tool_prints_the_table_and_writes_json(tmp_path, fake_runs, capsys):
    out = tmp_path / 'bench.json'
    assert tool.main(_tool_args(tmp_path, '--json', str(out))) == 0
    printed = capsys.readouterr().out
    assert '| VMT-Adapter | 12 | 1.20 |' in printed
    assert '+3.00 ± 2.47' in printed
    written = json.loads(out.read_text())
    assert written['failed'] == []
    assert [r['method']
            for r in written['summary']['rows']] == ['fullft-st', 'vmt']
    assert len(written['runs']) == 10
    # The baseline is make_baseline --mean of the single-task runs' files.
    baseline = json.loads((tmp_path / 'work' / 'baseline.json').read_text())
    assert baseline['baseline'] == _baseline()
    assert baseline['sources']['sal']['values'] == [60.0, 62.0]
    assert (tmp_path / 'work' / 'table.md').read_text().count('| VMT') == 1
    assert (tmp_path / 'work' / 'delta_m_vs_params.png').stat().st_size > 0
    manifest = db.read_manifest(str(tmp_path / 'work' / 'vmt' / 'seed1'))
    assert manifest['status'] == 'finished'
    assert manifest['launcher'] == 'inprocess'
    assert manifest['command'].split()[1:3] == [
        'tools/train.py',
        str(tmp_path / 'work' / 'vmt' / 'seed1' / 'config.py')
    ]
    assert 'randomness.seed=1' in manifest['command']
    assert manifest['checkpoint'].startswith('final weights')


def test_a_failed_run_exits_non_zero_naming_it_and_its_log(
        tmp_path, fake_runs, capsys):
    fake_runs.add(('vmt', None, 1))
    assert tool.main(_tool_args(tmp_path)) == 1
    captured = capsys.readouterr()
    log = tmp_path / 'work' / 'vmt' / 'seed1' / 'error.log'
    assert f'FAILED vmt/seed1: RuntimeError: boom (log: {log})' in captured.err
    assert 'RuntimeError: boom' in log.read_text()
    assert '| VMT-Adapter † | 12 |' in captured.out  # seed 0 only, marked
    # Every single-task normals run fails too: no baseline, no delta_m.
    fake_runs.update({('fullft-st', 'normals', 0),
                      ('fullft-st', 'normals', 1)})
    assert tool.main(_tool_args(tmp_path, '--work-dir',
                                str(tmp_path / 'w2'))) == 1
    captured = capsys.readouterr()
    assert 'FAILED fullft-st-normals/seed0' in captured.err
    assert 'Δm: none' in captured.out
    assert "no finished single-task run of ['normals']" in captured.out


def test_tool_refuses_missing_inputs_before_training(tmp_path, capsys):
    args = [
        '--data-root',
        str(tmp_path / 'nowhere'), '--work-dir',
        str(tmp_path / 'w')
    ]
    assert tool.main(args +
                     ['--backbone-checkpoint',
                      str(tmp_path / 'no.pth')]) == 2
    err = capsys.readouterr().err
    assert 'no.pth' in err and 'does not exist' in err
    assert 'nowhere' in err
    assert not (tmp_path / 'w').exists()
    assert tool.main(['--methods', 'nope', '--work-dir', str(tmp_path)]) == 2
    assert "unknown method(s) ['nope']" in capsys.readouterr().err


def test_quick_run_gives_a_complete_table(tmp_path, pascal_root, capsys):
    ckpt = _demo_swin_checkpoint(str(tmp_path / 'swin-demo.pth'))
    out = tmp_path / 'quick.json'
    rc = tool.main([
        '--quick', '--data-root', pascal_root, '--backbone-checkpoint', ckpt,
        '--work-dir',
        str(tmp_path / 'work'), '--json',
        str(out), '--log-level', 'WARNING', '--no-efficiency'
    ])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    written = json.loads(out.read_text())
    rows = written['summary']['rows']
    assert [r['method'] for r in rows] == ['fullft-st', 'decoder-only', 'vmt']
    for row in rows:
        assert math.isfinite(row['delta_m']['mean']), row['method']
        assert set(row['metrics']) == set(PASCAL_TASKS)
        assert row['sec_per_iter']['mean'] > 0
    for run in written['runs']:
        assert run['iters'] == tool.QUICK['max_iters']
        assert run['backbone_params'] == rows[0]['backbone_params']
        assert read_metrics_file(run["metrics_file"]) == run["metrics"]
        # The config written for the run is the one it trained.
        cfg = Config.fromfile(run['config'])
        assert cfg.train_cfg.max_iters == tool.QUICK['max_iters']
        assert cfg.train_dataloader.dataset.data_root == pascal_root
    assert rows[1]['backbone_trainable'] == 0
    methods = [
        line for line in printed.splitlines()
        if line.startswith('| ') and 'Trivial' not in line
    ]
    assert len(methods) == 1 + 3
    assert 'nan' not in '\n'.join(methods)


def test_trivial_rows_come_from_evaluate_trivial_baselines(
        tmp_path, fake_runs, capsys, monkeypatch):
    """The tool's trivial row is evaluate_trivial_baselines(cfg)'s val
    entry; a stand-in here returns hand-made values."""
    seen = []

    def evaluate_trivial_baselines(cfg):
        seen.append(cfg)
        return {
            'trivial_train': {
                'semseg/mIoU': 99.0,
                'human_parts/mIoU': 99.0
            },
            'trivial_val': {
                'semseg/mIoU': 21.0,
                'human_parts/mIoU': 25.0
            }
        }

    assert tool.PREDICTOR == 'trivial'  # the stand-in's keys
    monkeypatch.setattr(tool, 'evaluate_trivial_baselines',
                        evaluate_trivial_baselines)
    args = [a for a in _tool_args(tmp_path) if a != '--no-trivial']
    assert tool.main(args + ['--val-images', '3']) == 0
    out = capsys.readouterr().out
    label = f'Trivial: {tool.TRIVIAL_LABEL}'
    assert (f'| {label} | — | — | 21.00 | 25.00 | — | — | — | — |') in out
    assert '99.00' not in out  # the train split's scores are not shown
    (cfg, ) = seen  # the demo as the runs see it
    assert cfg.val_dataloader.dataset.data_root == str(tmp_path)
    assert cfg.val_dataloader.dataset.indices == 3
    written = json.loads((tmp_path / 'work' / 'results.json').read_text())
    assert [row['label'] for row in written['trivial']] == [label]


def test_demo_benchmark_py_is_the_demo_setting(tmp_path, capsys):
    alias = load_tool('analysis_tools/demo_benchmark')
    assert alias.main([
        '--methods', 'vmt', '--seeds', '0', '--work-dir',
        str(tmp_path), '--dry-run', '--no-efficiency'
    ]) == 0
    out = capsys.readouterr().out
    assert f'tools/train.py {tmp_path}/vmt/seed0/config.py' in out
    assert out.count('tools/train.py') == 5  # VMT + 4 single-task runs
    assert '(in process' in out
