"""The tools' argument handling (no model run) and count_params.py."""
import argparse
import json
import os

import pytest
from mmengine.config import Config
from tool_runs import load_tool

from mmvmt.engine import configure_checkpoint_hook


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def test_tool():
    return load_tool('test')


def test_train_parse_args_takes_an_argument_list(train_tool, monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = train_tool.parse_args([
        'cfg.py', '--work-dir', 'w', '--adapter-only', '--cfg-options',
        'a.b=1', 'c=x'
    ])
    assert (args.config, args.work_dir, args.adapter_only) == ('cfg.py', 'w',
                                                               True)
    assert args.cfg_options == {'a.b': 1, 'c': 'x'}
    assert (args.resume, args.amp, args.launcher) == (False, False, 'none')
    assert os.environ['LOCAL_RANK'] == '0'


def test_test_parse_args_keeps_torchrun_local_rank(test_tool, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '1')
    args = test_tool.parse_args(
        ['cfg.py', 'ckpt.pth', '--out', 'o', '--show-dir', 's'])
    assert (args.config, args.checkpoint) == ('cfg.py', 'ckpt.pth')
    assert (args.out, args.show_dir, args.show) == ('o', 's', False)
    assert os.environ['LOCAL_RANK'] == '1'


@pytest.mark.parametrize('hooks', [None, [dict(type='OtherHook')]])
def test_adapter_only_adds_the_hook(hooks):
    cfg = Config(dict(custom_hooks=hooks))
    configure_checkpoint_hook(cfg, trainable_only=True)
    assert cfg.custom_hooks[-1] == dict(
        type='TrainableCheckpointHook', trainable_only=True)
    assert len(cfg.custom_hooks) == len(hooks or []) + 1


def test_adapter_only_and_partial_load_switch_the_configured_hook():
    cfg = Config(
        dict(custom_hooks=[
            dict(type='TrainableCheckpointHook', trainable_only=False)
        ]))
    configure_checkpoint_hook(cfg, trainable_only=True)
    configure_checkpoint_hook(cfg, strict=False)
    configure_checkpoint_hook(cfg)
    assert cfg.custom_hooks == [
        dict(
            type='TrainableCheckpointHook', trainable_only=True, strict=False)
    ]


def test_partial_load_flags(train_tool, test_tool, monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    assert train_tool.parse_args(['c.py', '--partial-load']).partial_load
    assert not train_tool.parse_args(['c.py']).partial_load
    assert test_tool.parse_args(['c.py', 'k.pth',
                                 '--partial-load']).partial_load


def _show_args(show=False, show_dir=None, show_interval=None, options=None):
    return argparse.Namespace(
        show=show,
        show_dir=show_dir,
        wait_time=0.5,
        show_interval=show_interval,
        cfg_options=options)


def test_show_dir_switches_drawing_on(test_tool):
    cfg = Config(
        dict(
            default_hooks=dict(visualization=dict(type='VisHook')),
            visualizer=dict(type='Vis')))
    test_tool.trigger_visualization_hook(cfg, _show_args(show_dir='d'))
    # Every image is drawn unless an interval is asked for.
    assert cfg.default_hooks.visualization == dict(
        type='VisHook', draw=True, interval=1)
    assert cfg.visualizer.save_dir == 'd'
    test_tool.trigger_visualization_hook(cfg, _show_args(show=True))
    assert cfg.default_hooks.visualization == dict(
        type='VisHook', draw=True, show=True, wait_time=0.5, interval=1)


@pytest.mark.parametrize('args, interval', [
    (dict(show_interval=7), 7),
    (dict(options={'default_hooks.visualization.interval': 5}), 5),
])
def test_show_dir_keeps_an_asked_interval(test_tool, args, interval):
    cfg = Config(
        dict(
            default_hooks=dict(visualization=dict(type='V', interval=5)),
            visualizer=dict(type='Vis')))
    test_tool.trigger_visualization_hook(cfg, _show_args(show_dir='d', **args))
    assert cfg.default_hooks.visualization.interval == interval


def test_show_without_a_visualization_hook_fails(test_tool):
    cfg = Config(dict(default_hooks=dict(), visualizer=dict(type='Vis')))
    with pytest.raises(RuntimeError, match='VisualizationHook must be'):
        test_tool.trigger_visualization_hook(cfg, _show_args(show=True))


def test_count_params_prints_groups_that_add_up(trained, capsys):
    """tools/analysis_tools/count_params.py on the tiny model's config."""
    load_tool('analysis_tools/count_params').main(
        [trained['config'], '--json'])
    summary = json.loads(capsys.readouterr().out)
    groups = summary['groups']
    total = groups.pop('total')
    assert summary['total_params'] == total['trainable'] + total['frozen']
    assert sum(g['trainable'] + g['frozen']
               for g in groups.values()) == summary['total_params']
    assert set(groups) >= {
        'backbone.pretrained', 'backbone.adapters', 'head.semseg'
    }
    added = sum(groups[g]['trainable']
                for g in ('backbone.adapters', 'backbone.extraction',
                          'backbone.task_norms'))
    pretrained = groups['backbone.pretrained']['frozen']
    assert summary['adapter_share_of_backbone_percent'] == pytest.approx(
        100.0 * added / pretrained)
