"""tools/analysis_tools/gpu_check.py: what can be checked without a GPU.

The check itself needs one CUDA GPU (README, "Efficiency"); here: its
arguments, the commands it would run, the log reading and loss check, the
summary table, and the refusal without CUDA.
"""
import json
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.config import DictAction
from tool_runs import REPO, load_tool

gpu_check = load_tool('analysis_tools/gpu_check')


def test_arguments():
    args = gpu_check.parse_args([])
    assert (args.iters, args.batch, args.size) == (50, 8, 448)
    assert args.task_counts == [1, 4, 6]
    assert args.method_list == [
        'vmt', 'vmt-lite', 'mtlora-r16', 'decoder-only'
    ]
    assert args.out == osp.join('work_dirs', 'gpu_check', 'summary.md')
    bad = [['--methods', 'vmt,lora'], ['--iters', '19'], ['--size', '100'],
           ['--batch', '0'], ['--tasks', '1,x'], ['--setting', 'paper']]
    for argv in bad:
        with pytest.raises(SystemExit):
            gpu_check.parse_args(argv)


@pytest.mark.parametrize('setting', ['default', 'literature'])
def test_every_config_exists_and_trains_offline(setting):
    args = gpu_check.parse_args(['--setting', setting])
    for method in args.method_list:
        config = gpu_check.config_path(method, setting)
        assert osp.isfile(config), config
        command = gpu_check.train_command(config, 'W', 'DATA', args)
        assert command[1:5] == [
            osp.join(REPO, 'tools', 'train.py'), config, '--amp', '--work-dir'
        ]
        options = command[command.index('--cfg-options') + 1:]
        parsed = {}
        action = DictAction(option_strings=[], dest='o')
        for option in options:
            key, value = option.split('=', 1)
            parsed[key] = action._parse_iterable(value)
        assert parsed['train_cfg.max_iters'] == 50
        assert parsed['train_dataloader.batch_size'] == 8
        assert parsed['train_dataloader.dataset.data_root'] == 'DATA'
        assert parsed['param_scheduler'] == []
        assert parsed['val_cfg'] is parsed['val_dataloader'] is None
        # random init: no pretrained weights anywhere (nothing downloads)
        inits = [k for k in parsed if k.endswith('init_cfg')]
        assert inits and all(parsed[k] is None for k in inits)
        family = 'backbone.backbone' if 'baselines' in config else 'backbone'
        assert inits == [f'model.{family}.init_cfg']


def test_benchmark_command():
    args = gpu_check.parse_args(['--methods', 'vmt,decoder-only'])
    command = gpu_check.benchmark_command(['a.py', 'b.py'], 'o.json', args)
    text = ' '.join(command[1:])
    assert text.endswith('benchmark_methods.py a.py b.py --device cuda --amp '
                         '--tasks 1,4,6 --size 448 --batch 8 --rounds 3 '
                         '--json o.json')


def test_dry_run_prints_the_plan_without_a_gpu(tmp_path, capsys):
    assert gpu_check.main(['--dry-run', '--work-dir', str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum('tools/train.py' in line for line in out) == 4
    assert sum('benchmark_methods.py' in line for line in out) == 1
    assert os.listdir(tmp_path) == []  # nothing generated or run


def test_refuses_without_cuda(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit, match='needs one CUDA GPU'):
        gpu_check.main(['--work-dir', str(tmp_path)])
    assert os.listdir(tmp_path) == []


def _write_scalars(work_dir, losses, memory=1000.0):
    run = osp.join(work_dir, '20260101_000000', 'vis_data')
    os.makedirs(run)
    with open(osp.join(run, 'scalars.json'), 'w') as f:
        for i, loss in reversed(list(enumerate(losses))):  # any order
            f.write(
                json.dumps(
                    dict(iter=i + 1, loss=loss, time=0.1, memory=memory + i)) +
                '\n')
        f.write(json.dumps(dict(mode='val', step=1, acc=1.0)) + '\n')


def test_reads_the_run_and_checks_the_losses(tmp_path):
    decreasing = [5 - 0.1 * i for i in range(50)]
    _write_scalars(str(tmp_path / 'ok'), decreasing)
    read = gpu_check.read_losses(str(tmp_path / 'ok'))
    assert read['loss'] == decreasing and len(read['memory']) == 50
    assert gpu_check.check_losses(read['loss'], 50) == []
    flat = [1.0] * 50
    assert 'did not decrease' in gpu_check.check_losses(flat, 50)[0]
    broken = decreasing[:30] + [math.nan] + decreasing[31:]
    assert gpu_check.check_losses(
        broken, 50) == ['non-finite loss at iteration(s) [31]']
    assert gpu_check.check_losses(decreasing[:40],
                                  50) == ['40 of 50 iterations logged']
    with pytest.raises(FileNotFoundError, match='did the run start'):
        gpu_check.read_losses(str(tmp_path / 'missing'))


def test_summary_table():
    runs = [
        dict(
            method='vmt',
            config='/x/vmt_a.py',
            losses=[2.0] * 10 + [1.0] * 10,
            time=[0.5] * 20,
            memory=[100.0, 300.0],
            seconds=42.0,
            failures=[]),
        dict(
            method='decoder-only',
            config='/x/d.py',
            losses=[],
            time=[],
            memory=[],
            seconds=3.0,
            failures=['exit status 1, see d.log'])
    ]
    bench = [
        dict(
            method='vmt',
            tasks=4,
            forward_ms=12.34,
            train_step_ms=40.0,
            train_memory_mb=2048.4)
    ]
    text = gpu_check.format_summary(dict(GPU='H100'), runs, bench)
    lines = text.splitlines()
    assert lines[2] == '- GPU: H100'
    assert ('| vmt | vmt_a.py | 2.0000 | 1.0000 | 0.500 | 300 | 42 | ok |'
            in lines)
    assert ('| decoder-only | d.py | - | - | - | - | 3 | exit status 1, '
            'see d.log |' in lines)
    assert '| vmt | 4 | 12.3 | 40.0 | 2048 |' in lines
    assert text.endswith('\n')
    empty = gpu_check.format_summary({}, [], [])
    assert '| (not run) | | | | |' in empty
