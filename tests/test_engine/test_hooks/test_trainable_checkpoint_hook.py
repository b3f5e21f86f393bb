"""Which state-dict entries a trainable-only checkpoint keeps, and why."""
from collections import OrderedDict
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmvmt.engine.checkpoint_fit import (CheckpointMismatchError,
                                         state_fingerprint)
from mmvmt.engine.hooks.trainable_checkpoint_hook import (
    FROZEN_SHA256_META_KEY, TRAINABLE_ONLY_META_KEY, TrainableCheckpointHook,
    trainable_state_keys)


class WindowAttention(nn.Module):
    """Frozen pretrained weights plus a derived buffer (as Swin's index)."""

    def __init__(self):
        super().__init__()
        self.bias_table = nn.Parameter(torch.zeros(3))
        self.register_buffer('index', torch.arange(4))


class HalfTrained(nn.Module):
    """One frozen and one trainable parameter next to a buffer."""

    def __init__(self):
        super().__init__()
        self.frozen = nn.Parameter(torch.zeros(2))
        self.tuned = nn.Parameter(torch.zeros(2))
        self.register_buffer('count', torch.zeros(1))


class Toy(nn.Module):
    """A frozen backbone part, an adapter, a decoder and buffer holders."""

    def __init__(self):
        super().__init__()
        self.attn = WindowAttention()
        self.frozen_bn = nn.BatchNorm1d(2)
        self.adapter = nn.Linear(2, 2)
        self.partly = HalfTrained()
        self.head_bn = nn.BatchNorm1d(2)
        self.stats = nn.Module()  # parameter-free: its buffers are kept
        self.stats.register_buffer('ema', torch.zeros(2))
        self.stats.register_buffer('scratch', torch.zeros(2), persistent=False)
        self.stats.register_buffer('unset', None)
        for module in (self.attn, self.frozen_bn):
            module.requires_grad_(False)
        self.partly.frozen.requires_grad_(False)


KEPT = {
    # trainable parameters
    'adapter.weight',
    'adapter.bias',
    'partly.tuned',
    'head_bn.weight',
    'head_bn.bias',
    # buffers of modules that train (BN statistics of the decoder)
    'head_bn.running_mean',
    'head_bn.running_var',
    'head_bn.num_batches_tracked',
    'partly.count',
    # buffers of a parameter-free module: nothing says they are frozen
    'stats.ema',
}


def test_trainable_state_keys_rule():
    model = Toy()
    keys = trainable_state_keys(model)
    assert keys == KEPT
    dropped = set(model.state_dict()) - keys
    # Frozen parameters, and buffers whose owner's parameters are all
    # frozen: the frozen BN statistics and the attention index are the
    # same as in the pretrained checkpoint.
    assert dropped == {
        'attn.bias_table', 'attn.index', 'partly.frozen', 'frozen_bn.weight',
        'frozen_bn.bias', 'frozen_bn.running_mean', 'frozen_bn.running_var',
        'frozen_bn.num_batches_tracked'
    }


def test_keys_are_relative_to_the_given_module():
    keys = trainable_state_keys(Toy().partly)
    assert keys == {'tuned', 'count'}


def _checkpoint(model):
    return dict(state_dict=OrderedDict(model.state_dict()), meta=dict(a=1))


def test_hook_keeps_only_trainable_entries_and_marks_the_checkpoint():
    model = Toy()
    checkpoint = _checkpoint(model)
    hook = TrainableCheckpointHook(trainable_only=True)
    hook.before_save_checkpoint(SimpleNamespace(model=model), checkpoint)
    assert isinstance(checkpoint['state_dict'], OrderedDict)
    assert list(checkpoint['state_dict']) == [
        k for k in model.state_dict() if k in KEPT
    ]
    frozen = set(model.state_dict()) - KEPT
    assert checkpoint['meta'] == {
        'a': 1,
        TRAINABLE_ONLY_META_KEY: True,
        FROZEN_SHA256_META_KEY: state_fingerprint(model.state_dict(), frozen)
    }


def test_hook_leaves_full_checkpoints_alone_by_default():
    model = Toy()
    checkpoint = _checkpoint(model)
    TrainableCheckpointHook().before_save_checkpoint(
        SimpleNamespace(model=model), checkpoint)
    assert list(checkpoint['state_dict']) == list(model.state_dict())
    assert checkpoint['meta'] == dict(a=1)


class InitToy(Toy):
    """Toy with mmengine's init protocol: frozen weights set from a seed."""

    def __init__(self, seed=0):
        super().__init__()
        self.seed = seed
        self.init_calls = 0

    def init_weights(self):
        self.init_calls += 1
        generator = torch.Generator().manual_seed(self.seed)
        with torch.no_grad():
            self.attn.bias_table.copy_(torch.randn(3, generator=generator))
        self._is_init = True


def _runner(model):
    return SimpleNamespace(model=model, _load_from='/ckpts/x.pth')


def _trainable_only_checkpoint(model):
    model.init_weights()
    checkpoint = _checkpoint(model)
    TrainableCheckpointHook(trainable_only=True).before_save_checkpoint(
        _runner(model), checkpoint)
    return checkpoint


def test_a_fitting_checkpoint_passes_and_module_prefix_is_ignored():
    model = Toy()
    state = OrderedDict(
        (f'module.{k}', v) for k, v in model.state_dict().items())
    TrainableCheckpointHook().after_load_checkpoint(
        _runner(model), dict(state_dict=state))


def test_misfits_are_refused_with_every_key():
    model = Toy()
    state = model.state_dict()
    del state['adapter.bias']
    state['extra.weight'] = torch.zeros(1)
    state['head_bn.weight'] = torch.zeros(5)
    with pytest.raises(CheckpointMismatchError) as info:
        TrainableCheckpointHook().after_load_checkpoint(
            _runner(model), dict(state_dict=state))
    msg = str(info.value)
    assert '/ckpts/x.pth does not fit' in msg
    assert '1 missing key(s): adapter.bias' in msg
    assert '1 unexpected key(s): extra.weight' in msg
    assert 'head_bn.weight (checkpoint [5], model [2])' in msg
    assert '--partial-load' in msg
    # strict=False: the same list as a warning, no error.
    TrainableCheckpointHook(strict=False).after_load_checkpoint(
        _runner(model), dict(state_dict=state))


def test_trainable_only_checkpoint_needs_the_same_frozen_weights():
    checkpoint = _trainable_only_checkpoint(InitToy(seed=0))
    same = InitToy(seed=0)
    TrainableCheckpointHook().after_load_checkpoint(_runner(same), checkpoint)
    assert same.init_calls == 1  # initialised once, before the check
    other = InitToy(seed=1)
    with pytest.raises(CheckpointMismatchError) as info:
        TrainableCheckpointHook().after_load_checkpoint(
            _runner(other), checkpoint)
    msg = str(info.value)
    assert 'holds only trainable weights' in msg
    assert 'model.backbone.init_cfg is None' in msg  # Toy has no backbone


def test_trainable_only_checkpoint_must_hold_every_trainable_key():
    checkpoint = _trainable_only_checkpoint(InitToy())
    del checkpoint['state_dict']['partly.tuned']
    with pytest.raises(CheckpointMismatchError, match='partly.tuned'):
        TrainableCheckpointHook().after_load_checkpoint(
            _runner(InitToy()), checkpoint)
