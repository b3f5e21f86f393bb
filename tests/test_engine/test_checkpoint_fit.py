"""Key/shape comparison, the frozen-weight checksum, and the runner
internals they rely on (mmseg_compat)."""
import inspect
from collections import OrderedDict
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner import checkpoint as mmengine_checkpoint

from mmvmt.engine.checkpoint_fit import (CheckpointMismatchError, find_misfits,
                                         misfit_message, state_fingerprint)
from mmvmt.engine.hooks.trainable_checkpoint_hook import check_checkpoint_fits
from mmvmt.models.mmseg_compat import (RUNNER_REVISE_KEYS,
                                       runner_checkpoint_path,
                                       runner_checkpoint_state)


def test_find_misfits_sorted_and_false_when_it_fits():
    model = dict(a=torch.zeros(2), b=torch.zeros(3, 1), c=torch.zeros(1))
    assert not find_misfits(model, dict(model))
    misfit = find_misfits(model, dict(b=torch.zeros(3), z=1, y=2))
    assert misfit.missing == ['a', 'c']
    assert misfit.unexpected == ['y', 'z']
    assert misfit.mismatched == [('b', (3, ), (3, 1))]
    assert not find_misfits(model, dict(a=torch.zeros(2)), required=['a'])


def test_messages_list_every_key_however_many():
    """The README promises every missing, unexpected and misshaped key
    (the lists were cut at 10 before issue 17)."""
    keys = [f'k{i:03d}' for i in range(250)]
    model = {k: torch.zeros(1) for k in keys[:120]}
    ckpt = {k: torch.zeros(1) for k in keys[100:]}
    ckpt.update({k: torch.zeros(2) for k in keys[100:120]})
    msg = misfit_message('/c.pth', find_misfits(model, ckpt))
    lines = msg.splitlines()
    assert lines[1] == '  20 shape mismatch(es): ' + ', '.join(
        f'{k} (checkpoint [2], model [1])' for k in keys[100:120])
    assert lines[2] == '  100 missing key(s): ' + ', '.join(keys[:100])
    assert lines[3] == '  130 unexpected key(s): ' + ', '.join(keys[120:])


def test_fingerprint_sees_every_bit_and_ignores_order():
    state = OrderedDict(a=torch.arange(4.), b=torch.ones(2, dtype=torch.bool))
    digest = state_fingerprint(state, ['a', 'b'])
    assert digest == state_fingerprint(
        OrderedDict(b=state['b'], a=state['a']), ['b', 'a'])
    flipped = state['a'].clone()
    flipped.view(torch.int32)[0] ^= 1  # lowest bit of one value
    assert state_fingerprint(dict(state, a=flipped), ['a', 'b']) != digest
    assert state_fingerprint(dict(state, a=state['a'].double()),
                             ['a', 'b']) != digest
    assert state_fingerprint(state, ['a']) != digest


def test_runner_internals_are_as_pinned(tmp_path):
    # Runner.load_checkpoint strips 'module.' as RUNNER_REVISE_KEYS does.
    default = inspect.signature(
        Runner.load_checkpoint).parameters['revise_keys'].default
    assert [tuple(p) for p in default] == list(RUNNER_REVISE_KEYS)
    assert 'state_dict' in inspect.getsource(
        mmengine_checkpoint._load_checkpoint_to_model)
    state = runner_checkpoint_state(
        dict(state_dict=OrderedDict([('module.x', 1), ('y', 2)])))
    assert list(state) == ['x', 'y']
    assert list(runner_checkpoint_state(OrderedDict(z=3))) == ['z']
    # The resume path: _load_from, or work_dir/last_checkpoint.
    (tmp_path / 'last_checkpoint').write_text('/w/iter_4.pth')
    runner = SimpleNamespace(
        _load_from=None, _resume=True, work_dir=str(tmp_path))
    assert runner_checkpoint_path(runner) == '/w/iter_4.pth'
    runner._load_from = '/given.pth'
    assert runner_checkpoint_path(runner) == '/given.pth'
    runner._load_from, runner._resume = None, False
    assert runner_checkpoint_path(runner) is None


def test_a_checkpoint_without_a_state_dict_says_what_it_holds():
    model = torch.nn.Linear(2, 1)
    for checkpoint, held in (('hello', 'str'), (dict(state_dict=[1]), 'list')):
        with pytest.raises(
                CheckpointMismatchError,
                match=f'checkpoint /c.pth holds a {held}, not a '
                'state dict'):
            check_checkpoint_fits(
                model, checkpoint, '/c.pth', refuse=lambda msg: None)
    check_checkpoint_fits(model, dict(state_dict=model.state_dict()), '/c.pth')
