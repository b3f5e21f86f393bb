"""tools/analysis_tools/paper_table.py: launchers, manifests, resuming.

A stub ``srun`` on PATH stands in for Slurm: it logs every call and writes
what the real job writes (training: ``scalars.json``, a final checkpoint and
``last_checkpoint``; test: mmengine's ``<ts>/<ts>.json`` metrics; the
efficiency run: its JSON), so the whole Slurm path runs through
``tools/slurm_train.sh`` / ``slurm_test.sh`` without a cluster. The runs use
the demo setting (small configs: fast to plan and count); the literature
setting is checked by ``--dry-run``, and the README's commands are run as
written with ``--dry-run``.
"""
import glob
import json
import os
import os.path as osp
import shlex
import stat
import sys

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from tool_runs import load_tool

from mmvmt import benchmark as db
from mmvmt.benchmark import published
from mmvmt.datasets.facts import load_facts

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PASCAL_TASKS = ('semseg', 'human_parts', 'sal', 'normals')
tool = load_tool('analysis_tools/paper_table')
PAPER_TABLE = 'python tools/analysis_tools/paper_table.py'

#: Single-task metrics per seed (baseline = the means 42, 50, 61, 21) and
#: VMT's, whose delta_m are 1.25 and 4.75 (as test_demo_benchmark.py).
ST = dict(
    semseg=(40.0, 44.0),
    human_parts=(50.0, 50.0),
    sal=(60.0, 62.0),
    normals=(20.0, 22.0))
VMT = ({
    'semseg/mIoU': 46.2,
    'human_parts/mIoU': 45.0,
    'sal/mIoU': 61.0,
    'normals/mean': 19.95
}, {
    'semseg/mIoU': 42.0,
    'human_parts/mIoU': 55.0,
    'sal/mIoU': 73.2,
    'normals/mean': 23.31
})

STUB = '''#!{python}
"""srun stand-in: log the call, write what the job would write."""
import json, os, sys
argv = sys.argv[1:]
with open(os.environ['STUB_LOG'], 'a') as f:
    f.write(json.dumps(dict(argv=argv, port=os.environ.get('MASTER_PORT'),
                            gpus=os.environ.get('GPUS'))) + '\\n')
job = [a for a in argv if a.startswith('--job-name=')][0].split('=')[1]
if job in os.environ.get('STUB_FAIL', '').split(','):
    sys.exit(3)
i = argv.index('python')
script, rest = argv[i + 2], argv[i + 3:]
opt = lambda name: rest[rest.index(name) + 1]
ts = '20240101_000000'
if script.endswith('tools/train.py'):
    work = opt('--work-dir')
    os.makedirs(os.path.join(work, ts, 'vis_data'), exist_ok=True)
    with open(os.path.join(work, ts, 'vis_data', 'scalars.json'), 'w') as f:
        for it, t in ((2, 9.0), (10, 0.25), (20, 0.35), (30, 0.3)):
            f.write(json.dumps(dict(iter=it, time=t, lr=0.1)) + '\\n')
    ckpt = os.path.join(work, 'iter_30.pth')
    open(ckpt, 'wb').close()
    with open(os.path.join(work, 'last_checkpoint'), 'w') as f:
        f.write(ckpt)
elif script.endswith('tools/test.py'):
    out = os.path.join(opt('--work-dir'), ts)
    os.makedirs(out, exist_ok=True)
    metrics = json.load(open(os.environ['STUB_METRICS']))[job[6:-5]]
    with open(os.path.join(out, ts + '.json'), 'w') as f:
        json.dump(dict(metrics, time=0.5, data_time=0.1), f)
else:
    with open(opt('--json'), 'w') as f:
        json.dump(dict(settings=dict(device='cuda', size=448, batch=8),
                       results=[dict(method=m, tasks=t, forward_ms=10.0 * k,
                                     train_step_ms=30.0 * k)
                                for m, k0 in (('vmt', 0), ('fullft-st', 1))
                                for t in (1, 2, 4)
                                for k in [1 + k0 * (t - 1)]]), f)
'''


def _metrics():
    out = {}
    for seed in (0, 1):
        for task in PASCAL_TASKS:
            key = 'normals/mean' if task == 'normals' else f'{task}/mIoU'
            out[f'fullft-st-{task}-seed{seed}'] = {key: ST[task][seed]}
        out[f'vmt-seed{seed}'] = dict(VMT[seed], **{'multitask/delta_m': 9.})
    return out


@pytest.fixture
def slurm(tmp_path, monkeypatch):
    """A stub srun on PATH; returns the log reader and the failure set."""
    stub_dir = tmp_path / 'bin'
    stub_dir.mkdir()
    srun = stub_dir / 'srun'
    srun.write_text(STUB.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    metrics = tmp_path / 'metrics.json'
    metrics.write_text(json.dumps(_metrics()))
    log = tmp_path / 'srun.log'
    monkeypatch.setenv('PATH', f'{stub_dir}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.setenv('STUB_LOG', str(log))
    monkeypatch.setenv('STUB_METRICS', str(metrics))
    monkeypatch.setenv('PYTHONPATH', REPO)

    def calls():
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    return calls


def _args(tmp_path, *extra, seeds=('0', '1')):
    """Slurm, VMT and the single-task runs of the PASCAL demo."""
    return [
        '--launcher', 'slurm', '--partition', 'debug', '--gpus', '2',
        '--srun-args=--time=1:00:00 --qos=low', '--methods', 'vmt', '--seeds',
        *seeds, '--data-root',
        str(tmp_path), '--backbone-checkpoint', 'none', '--no-trivial',
        '--work-dir',
        str(tmp_path / 'work'), *extra
    ]


def _one_seed(tmp_path, *extra):
    """:func:`_args` with seed 0 only and no efficiency run."""
    return _args(tmp_path, '--no-efficiency', *extra, seeds=('0', ))


def _job(call):
    return [a for a in call['argv'] if a.startswith('--job-name=')][0][11:]


def _after_python(call):
    argv = call['argv']
    return argv[argv.index('python') + 1:]


def test_slurm_launches_one_job_per_run_and_tabulates(tmp_path, slurm, capsys):
    assert tool.main(_args(tmp_path, '--published', 'default')) == 0
    out = capsys.readouterr().out
    calls = slurm()
    keys = [
        f'{db.run_name(m, t)}-seed{s}' for s in (0, 1)
        for m, t in [('fullft-st', t) for t in PASCAL_TASKS] + [('vmt', None)]
    ]
    train = [c for c in calls if 'tools/train.py' in c['argv']]
    test = [c for c in calls if 'tools/test.py' in c['argv']]
    assert sorted(_job(c) for c in train) == sorted(f'mmvmt-{k}' for k in keys)
    assert sorted(_job(c) for c in test) == sorted(f'mmvmt-{k}-test'
                                                   for k in keys)
    assert len(calls) == 2 * len(keys) + 1  # + the efficiency run
    work = tmp_path / 'work'
    for call in train:
        key = _job(call)[6:]
        run_dir = str(work / key.rsplit('-seed', 1)[0] / f'seed{key[-1]}')
        argv = call['argv']
        assert argv[:2] == ['-p', 'debug']
        for flag in ('--gres=gpu:2', '--ntasks=2', '--ntasks-per-node=2',
                     '--cpus-per-task=5', '--time=1:00:00', '--qos=low'):
            assert flag in argv, flag
        assert _after_python(call) == [
            '-u', 'tools/train.py', f'{run_dir}/config.py', '--launcher=slurm',
            '--work-dir', run_dir, '--cfg-options',
            f'randomness.seed={key[-1]}'
        ]
        assert call['gpus'] == '2'
    assert len({c['port'] for c in train}) == len(keys)
    for call in test:
        run_dir = call['argv'][call['argv'].index('--work-dir') + 1][:-5]
        assert _after_python(call)[:4] == [
            '-u', 'tools/test.py', f'{run_dir}/config.py',
            f'{run_dir}/iter_30.pth'
        ]
    # The table: VMT's delta_m over the stub's numbers, as by hand.
    assert '| VMT-Adapter | ' in out and '+3.00 ± 2.47' in out
    written = json.loads((work / 'results.json').read_text())
    vmt = written['summary']['rows'][1]
    assert vmt['delta_m']['values'] == pytest.approx([1.25, 4.75])
    # Logged times after 5 warm-up iterations: median of 0.25, 0.35, 0.3.
    assert vmt['sec_per_iter']['mean'] == pytest.approx(0.3)
    manifest = db.read_manifest(str(work / 'vmt' / 'seed1'))
    assert manifest['status'] == 'finished'
    assert manifest['checkpoint'] == str(work / 'vmt' / 'seed1' /
                                         'iter_30.pth')
    assert manifest['command'].startswith('GPUS=2 GPUS_PER_NODE=2 ')
    assert 'tools/slurm_train.sh debug mmvmt-vmt-seed1' in manifest['command']
    assert manifest['metrics']['sal/mIoU'] == 73.2
    assert json.loads(
        (work / 'vmt' / 'seed1' / 'test' /
         'metrics.json').read_text()) == dict(VMT[1],
                                              **{'multitask/delta_m': 9.0})
    # Published values (not ours) listed and drawn at the row's count.
    assert written['published']['vmt']['delta_m'] == 3.96
    assert 'Published (not ours, on the real benchmark): ' in out
    for name in ('table.md', 'results.json', 'baseline.json',
                 'delta_m_vs_params.png', 'time_vs_tasks.png'):
        assert (work / name).stat().st_size > 0, name
    # A second invocation launches nothing and gives the same table.
    assert tool.main(_args(tmp_path, '--published', 'default')) == 0
    assert len(slurm()) == len(calls)
    assert capsys.readouterr().out.count('+3.00 ± 2.47') == 1


def test_a_failed_job_is_reported_the_others_tabulated_then_rerun(
        tmp_path, slurm, capsys, monkeypatch):
    monkeypatch.setenv('STUB_FAIL', 'mmvmt-vmt-seed0')
    assert tool.main(_one_seed(tmp_path)) == 1
    captured = capsys.readouterr()
    log = tmp_path / 'work' / 'vmt' / 'seed0' / 'train.log'
    assert ('FAILED vmt/seed0: training exited with 3 '
            f'(log: {log})') in captured.err
    assert '| VMT-Adapter (failed †) | — |' in captured.out
    assert '| Single-task full fine-tuning (4 models) | 9,131,704 |' in (
        captured.out)
    assert f'† VMT-Adapter seed 0: failed (log: {log})' in captured.out
    launched = len(slurm())
    # Not rerun unless asked; then only it, the failed attempt kept aside.
    assert tool.main(_one_seed(tmp_path)) == 1
    assert len(slurm()) == launched
    monkeypatch.delenv('STUB_FAIL')
    assert tool.main(_one_seed(tmp_path, '--rerun-failed')) == 0
    assert [_job(c) for c in slurm()[launched:]
            ] == ['mmvmt-vmt-seed0', 'mmvmt-vmt-seed0-test']
    old = db.read_manifest(str(tmp_path / 'work' / 'vmt' / 'seed0.attempt1'))
    assert old['status'] == 'failed' and old['attempt'] == 1
    assert db.read_manifest(str(tmp_path / 'work' / 'vmt' /
                                'seed0'))['attempt'] == 2


def _dead_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_interrupted_runs_resume_and_changed_settings_are_refused(
        tmp_path, slurm, capsys):
    assert tool.main(_one_seed(tmp_path)) == 0
    work = tmp_path / 'work'
    # Killed while training: resumes from its checkpoint; killed while
    # testing: only the test runs again.
    for run, train_rc in (('fullft-st-sal/seed0', None), ('vmt/seed0', 0)):
        path = str(work / run)
        manifest = db.read_manifest(path)
        manifest['status'] = 'running'
        manifest['owner']['pid'] = _dead_pid()
        manifest['steps']['train']['rc'] = train_rc
        db.write_manifest(path, manifest)
    launched = len(slurm())
    assert tool.main(_one_seed(tmp_path)) == 0
    new = slurm()[launched:]
    assert sorted(_job(c) for c in new) == [
        'mmvmt-fullft-st-sal-seed0', 'mmvmt-fullft-st-sal-seed0-test',
        'mmvmt-vmt-seed0-test'
    ]
    (resumed, ) = [c for c in new if 'tools/train.py' in c['argv']]
    assert resumed['argv'][-1] == '--resume'
    # A run owned by a live invocation is left alone.
    path = str(work / 'vmt' / 'seed0')
    manifest = db.read_manifest(path)
    manifest.update(status='running', owner=dict(manifest['owner'], pid=1))
    db.write_manifest(path, manifest)
    assert tool.main(_one_seed(tmp_path)) == 1
    assert len(slurm()) == launched + 3
    assert 'RUNNING vmt/seed0' in capsys.readouterr().err
    # Other settings than the finished runs': nothing is launched.
    assert tool.main(
        _one_seed(tmp_path, '--cfg-options',
                  'optim_wrapper.optimizer.lr=0.5')) == 2
    err = capsys.readouterr().err
    assert 'other settings' in err and 'fullft-st-sal/seed0' in err
    assert len(slurm()) == launched + 3


def _literature_configs(benchmark='pascal-context-mt'):
    return {
        osp.relpath(p, REPO)
        for folder in ('vmt', 'baselines', 'single_task')
        for p in glob.glob(
            osp.join(REPO, 'configs', folder,
                     f'*_swin-t_*_{benchmark}-literature-448x448.py'))
    }


def test_dry_run_of_the_literature_setting_lists_every_command(
        tmp_path, capsys):
    work = tmp_path / 'lit'
    assert tool.main([
        '--setting', 'literature', '--launcher', 'slurm', '--partition', 'gpu',
        '--gpus', '4', '--seeds', '0', '1', '--work-dir',
        str(work)
    ] + ['--dry-run']) == 0
    lines = capsys.readouterr().out.splitlines()
    train = [line for line in lines if 'tools/slurm_train.sh' in line]
    test = [line for line in lines if 'tools/slurm_test.sh' in line]
    configs = [
        words[words.index('tools/slurm_train.sh') + 3]
        for words in (line.split() for line in train)
    ]
    expected = _literature_configs()
    assert len(expected) == 20  # 16 methods + 4 single-task runs
    assert sorted(configs) == sorted(p for p in expected for _ in range(2))
    assert len(test) == len(train)
    assert all(line.startswith('GPUS=4 GPUS_PER_NODE=4 ') for line in train)
    assert all('CHECKPOINT' in line for line in test)
    assert sum('benchmark_methods.py' in line for line in lines) == 1
    assert any('make_baseline.py' in line and '--mean' in line
               for line in lines)
    assert not work.exists()  # a dry run writes nothing


def test_dist_and_local_commands():
    run = db.Run(
        key='vmt/seed3',
        kind='train',
        method='vmt',
        task=None,
        seed=3,
        source='configs/vmt/x.py',
        config='/r/configs/vmt/x.py',
        work_dir='/w/vmt/seed3',
        cfg=None,
        fingerprint='f')
    dist = db.DistLauncher(4, cfg_options=['a=1'])
    assert dist.train(
        run, resume=True).shell() == (
            'bash tools/dist_train.sh /r/configs/vmt/x.py 4 --work-dir '
            '/w/vmt/seed3 --cfg-options randomness.seed=3 a=1 --resume')
    assert dist.test(run, '/w/best.pth').shell() == (
        'bash tools/dist_test.sh /r/configs/vmt/x.py /w/best.pth 4 '
        '--work-dir /w/vmt/seed3/test --cfg-options a=1')
    local = db.LocalLauncher(python='py')
    assert local.train(run).argv == ('py', 'tools/train.py',
                                     '/r/configs/vmt/x.py', '--work-dir',
                                     '/w/vmt/seed3', '--cfg-options',
                                     'randomness.seed=3')
    with pytest.raises(ValueError, match='--partition is required'):
        db.SlurmLauncher('')


def _readme_section():
    text = open(osp.join(REPO, 'README.md'), encoding='utf-8').read()
    start = text.index("## Reproduce the paper's table")
    return text[start:text.index('\n## ', start + 1)]


def test_the_readme_commands_plan_as_written(tmp_path, capsys):
    """Every paper_table.py command of the README's reproduce section runs
    as written up to the launch (--dry-run)."""
    commands, current = [], None
    for line in _readme_section().splitlines():
        if current is None and line.startswith(PAPER_TABLE):
            current = ''
        if current is not None:
            current += line.rstrip('\\') + ' '
            if not line.endswith('\\'):
                commands.append(current)
                current = None
    assert len(commands) >= 2
    for i, command in enumerate(commands):
        argv = shlex.split(command)[2:]
        assert '--setting' in argv and 'literature' in argv, command
        assert tool.main(argv +
                         ['--dry-run', '--work-dir',
                          str(tmp_path / str(i))]) == 0, command
        out = capsys.readouterr().out
        assert 'literature-448x448.py' in out


def test_published_values_come_from_the_facts_file():
    facts = load_facts()['literature_baselines']
    values = published.published_results('pascal')
    assert values['mtlora-r64']['delta_m'] == facts[
        'pascal_swin-t_mtlora_r64']['delta_m'] == 2.55
    assert values['vmt']['delta_m'] == 3.96
    assert values['vmt-lite']['delta_m'] == 1.34
    assert set(values) == {'mtlora-r64', 'vmt', 'vmt-lite'}
    assert published.published_results('nyud') == {}
    # The README quotes the same numbers.
    section = _readme_section()
    for name in ('mtlora-r64', 'vmt', 'vmt-lite'):
        assert f'{values[name]["delta_m"]:+.2f}' in section, name


def test_a_published_file_is_checked(tmp_path):
    good = tmp_path / 'p.json'
    good.write_text(json.dumps({'vmt': dict(delta_m=1.5, source='x')}))
    assert published.read_published(str(good)) == {
        'vmt': dict(delta_m=1.5, source='x')
    }
    bad = tmp_path / 'b.json'
    bad.write_text(json.dumps({'vmt': dict(delta_m='1.5', source='x')}))
    with pytest.raises(ValueError, match="'vmt' must be"):
        published.read_published(str(bad))


def test_fit_budget_solves_for_the_iterations(tmp_path, capsys):
    runs = [
        dict(
            kind='train',
            status='finished',
            method=m,
            task=t,
            seed=s,
            sec_per_iter=sec,
            iters=20,
            wall_s=20 * sec + fixed) for s in (0, 1)
        for m, t, sec, fixed in (('vmt', None, 0.5, 10.0),
                                 ('fullft-st', 'sal', 0.25, 30.0))
    ] + [dict(kind='efficiency', status='finished', wall_s=100.0)]
    costs = db.run_costs(runs)
    assert costs[('vmt', None)] == dict(sec_per_iter=0.5, fixed_s=10.0)
    # 3 seeds: 3 * (40 + 0.75 I) + 100 + 20 <= 3600 -> I = 1493.
    assert db.fit_iterations(costs, 3600, 3, 120.0) == 1493
    assert db.estimate_seconds(costs, 1493, 3, 120.0) <= 3600
    assert db.estimate_seconds(costs, 1494, 3, 120.0) > 3600
    with pytest.raises(ValueError, match='do not fit one iteration'):
        db.fit_iterations(costs, 100, 3)
    calibration = tmp_path / 'c.json'
    calibration.write_text(json.dumps(dict(runs=runs, trivial_s=20.0)))
    assert tool.main([
        '--fit-budget', '60', '--timings-from',
        str(calibration), '--seeds', '0', '1', '2'
    ]) == 0
    assert capsys.readouterr().out.startswith('--max-iters 1493: about')


def test_make_baseline_mean_over_seeds(tmp_path):
    make_baseline = load_tool('analysis_tools/make_baseline')
    paths = []
    for seed, (sal, normals) in enumerate(((60.0, 20.0), (62.0, 23.0))):
        for task, value in (('sal', sal), ('normals', normals)):
            key = 'normals/mean' if task == 'normals' else 'sal/mIoU'
            path = tmp_path / f'{task}{seed}.json'
            path.write_text(json.dumps({key: value}))
            paths.append(str(path))
    out = str(tmp_path / 'b.json')
    with pytest.raises(ValueError, match="task 'sal' is in two"):
        make_baseline.main(paths + ['--out', out])
    baseline = make_baseline.main(paths + ['--out', out, '--mean'])
    assert baseline == dict(
        sal=dict(metric='mIoU', value=61.0),
        normals=dict(metric='mean', value=21.5))
    sources = json.loads(open(out).read())['sources']
    assert sources['normals']['values'] == [20.0, 23.0]
    assert sources['sal']['metrics_file'] == [paths[0], paths[2]]


@pytest.mark.parametrize('benchmark', ['pascal', 'nyud'])
def test_the_cnn_reference_is_a_plain_cnn_with_the_demo_heads(benchmark):
    methods = db.methods_of(benchmark, REPO)
    cnn = methods[db.CNN_REFERENCE]
    cfg = Config.fromfile(osp.join(REPO, cnn.configs[0][1]))
    demo = Config.fromfile(osp.join(REPO, db.demo_config_of(benchmark)))
    assert cfg.model.backbone.type == 'ResNet'
    assert cfg.model.backbone.init_cfg is None  # from scratch
    assert cfg.model.decode_heads == demo.model.decode_heads
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'val_evaluator'):
        assert cfg[key] == demo[key], key
    model = MODELS.build(cfg.model)
    model.train()
    counts = db.backbone_counts(model)
    assert counts['backbone_trainable'] == counts['backbone_params'] > 0
    feats = model.extract_feat(torch.zeros(1, 3, 64, 64))
    assert [f.shape[1]
            for f in feats] == list(demo.model.decode_heads.semseg.in_channels)
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]
    # The table gives it the run's data and schedule like every method.
    prepared = db.prepare_demo(
        osp.join(REPO, db.demo_config_of(benchmark)), max_iters=7)
    (run, ) = db.plan_runs({db.CNN_REFERENCE: cnn}, [0], '/w', REPO, prepared)
    assert run.cfg.train_cfg.max_iters == 7
    assert run.cfg.model.backbone.type == 'ResNet'


def test_gpu_hour_estimate_arithmetic_and_table(monkeypatch, capsys):
    # heads 6 GMAC, a backbone of 4 that trains in part: 2 * (18 + 8).
    assert db.train_gflop_per_image(10.0, 4.0, 'some') == 52.0
    assert db.train_gflop_per_image(10.0, 4.0, 'all') == 60.0
    assert db.train_gflop_per_image(10.0, 4.0, 'none') == 44.0
    assert db.run_gflop(10.0, 4.0, 'some', 1000, 100) == 54000.0
    assert db.gpu_hours(54000.0, 20.0) == pytest.approx(54000 / 2e4 / 3600)
    assert [db.trains_of(0, 9),
            db.trains_of(3, 9),
            db.trains_of(9, 9)] == ['none', 'some', 'all']
    # The tool: counted numbers stubbed (a Swin-T trace takes minutes).
    single = dict(backbone_trainable=100, backbone_params=100)
    monkeypatch.setattr(
        db, 'config_counts', lambda cfg: single
        if len(cfg.model.decode_heads) == 1 else dict(
            single, backbone_trainable=1))
    monkeypatch.setattr(
        db, 'forward_gmacs', lambda cfg, size: (25.8, 18.0)
        if len(cfg.model.decode_heads) == 1 else (49.2, 18.3))
    assert tool.main(
        ['--setting', 'literature', '--methods', 'vmt',
         '--estimate-hours']) == 0
    lines = capsys.readouterr().out.splitlines()
    # 46,800 x 32 images x 258.6 GFLOP + the val / test passes over 5,105
    # images x 98.4 GFLOP at 20 / 80 TFLOP/s: 5.5 / 1.4 h; single-task
    # 154.8 and 51.6 GFLOP: 3.3 / 0.8 h; sum 18.5 / 4.6 h.
    assert '| vmt | 49.2 (18.3) | some | 259 | 5.5 | 1.4 |' in lines
    assert ('| fullft-st-sal | 25.8 (18.0) | all | 155 | 3.3 | 0.8 |' in lines)
    assert lines[-1] == '| all runs of one seed | | | | 19 | 5 |'


def test_forward_gmacs_counts_a_small_model():
    cfg = Config.fromfile(
        osp.join(REPO,
                 db.methods_of('pascal',
                               REPO)[db.CNN_REFERENCE].configs[0][1]))
    total, backbone = db.forward_gmacs(cfg, (64, 64))
    assert 0 < backbone < total
    total2, backbone2 = db.forward_gmacs(cfg, (128, 128))
    assert backbone2 == pytest.approx(4 * backbone, rel=0.01)
