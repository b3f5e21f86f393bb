"""Checkpoints that do not fit are refused by tools/test.py, ``load_from``
and ``--resume``, with the offending keys; ``--partial-load`` loads them on
purpose. Uses the session's training run (conftest.py)."""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from tool_runs import load_tool, run_main

from mmvmt.engine.checkpoint_fit import CheckpointMismatchError
from mmvmt.utils import CheckpointReadError

SHAPE_KEY = 'decode_heads.semseg.conv_seg.weight'
EXTRA_KEY = 'decode_heads.depth.conv_seg.weight'


def _save_edited(trained, tmp_path, drop_head=True, bad_shape=True):
    """The full trained checkpoint with the sal head dropped, a key of
    another benchmark added and a head of another class count."""
    ckpt = torch.load(trained['full_checkpoint'], map_location='cpu')
    state = ckpt['state_dict']
    dropped = sorted(k for k in state if k.startswith('decode_heads.sal.'))
    if drop_head:
        for key in dropped:
            del state[key]
    if bad_shape:
        state[EXTRA_KEY] = torch.zeros(1, 4, 1, 1)
        state[SHAPE_KEY] = torch.zeros(40, *state[SHAPE_KEY].shape[1:])
    path = str(tmp_path / 'edited.pth')
    torch.save(ckpt, path)
    return path, dropped


def _test(trained, checkpoint, tmp_path, *args):
    run_main('test', trained['config'], checkpoint, '--work-dir',
             str(tmp_path / 'work'), *args)


def test_test_tool_refuses_a_misfit_with_every_offending_key(
        trained, tmp_path):
    path, dropped = _save_edited(trained, tmp_path)
    with pytest.raises(CheckpointMismatchError) as info:
        _test(trained, path, tmp_path)
    msg = str(info.value)
    assert f'checkpoint {path} does not fit the model' in msg
    assert f'{SHAPE_KEY} (checkpoint [40, ' in msg
    assert f'{len(dropped)} missing key(s): ' + dropped[0] in msg
    assert f'1 unexpected key(s): {EXTRA_KEY}' in msg
    assert '--partial-load' in msg


def test_partial_load_loads_a_checkpoint_without_a_head(
        trained, tmp_path, monkeypatch):
    path, _ = _save_edited(trained, tmp_path, bad_shape=False)
    reads = []
    real_load = torch.load

    def counting_load(f, *args, **kwargs):
        reads.append(f)
        return real_load(f, *args, **kwargs)

    monkeypatch.setattr(torch, 'load', counting_load)
    out = str(tmp_path / 'out')
    _test(trained, path, tmp_path, '--partial-load', '--out', out)
    assert reads.count(path) == 1  # the checkpoint is read once
    with open(osp.join(out, 'metrics.json')) as f:
        assert 'sal/mIoU' in json.load(f)


@pytest.mark.parametrize('how', ['load_from', 'resume'])
def test_training_refuses_a_misfit(trained, tmp_path, how):
    path, dropped = _save_edited(trained, tmp_path)
    work_dir = str(tmp_path / 'train')
    if how == 'load_from':
        args = ['--cfg-options', f'load_from={path}']
    else:
        args = ['--resume']
        os.makedirs(work_dir)
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(path)
    with pytest.raises(CheckpointMismatchError, match=dropped[0]):
        run_main('train', trained['config'], '--work-dir', work_dir, *args)


def test_trainable_only_checkpoint_without_pretrained_init_is_refused(
        trained, tmp_path):
    with pytest.raises(CheckpointMismatchError) as info:
        _test(trained, trained['checkpoint'], tmp_path, '--cfg-options',
              'model.backbone.init_cfg=None')
    msg = str(info.value)
    assert 'holds only trainable weights' in msg
    assert 'model.backbone.init_cfg is None' in msg


def test_test_tool_names_an_empty_checkpoint(trained, tmp_path):
    """Other unreadable files: tests/test_utils/test_checkpoint_io.py;
    other frozen weights: tests/test_engine (checksum)."""
    path = tmp_path / 'broken.pth'
    path.write_bytes(b'')
    with pytest.raises(CheckpointReadError, match=str(path)):
        _test(trained, str(path), tmp_path)


def test_resume_keeps_the_seed_of_the_resumed_run(tmp_path):
    train_tool = load_tool('train')
    path = str(tmp_path / 'iter_2.pth')
    torch.save(dict(meta=dict(seed=1234, iter=2), state_dict={}), path)
    (tmp_path / 'last_checkpoint').write_text(path)
    cfg = Config(dict(work_dir=str(tmp_path)))
    assert train_tool.resumed_seed(cfg) == (
        1234, f'the seed of the resumed checkpoint {path}')
    assert cfg.randomness == dict(seed=1234)
    fixed = Config(dict(work_dir=str(tmp_path), randomness=dict(seed=5)))
    assert train_tool.resumed_seed(fixed)[0] == 1234
    assert fixed.randomness.seed == 5  # the config wins (mmengine warns)
    assert 'drawn at random' in train_tool.seed_note(Config(), '')
