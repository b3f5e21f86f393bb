"""Unit tests of the VMT-Adapter and the task extraction."""
import pytest
import torch
import torch.nn as nn
from mmseg.registry import MODELS

from mmvmt.models.adapters import (BaseTaskExtraction, TaskScaleShift,
                                   VMTAdapter)


def hand_adapter(**kwargs) -> VMTAdapter:
    """d=4, k=2, T=2, ReLU, weights set by hand (see test below)."""
    adapter = VMTAdapter(
        embed_dims=4,
        num_tasks=2,
        reduction=2,
        act_cfg=dict(type='ReLU'),
        **kwargs)
    with torch.no_grad():
        adapter.down.weight.copy_(torch.tensor([[1., 0, 0, 0], [0, 1, 0, -1]]))
        adapter.down.bias.copy_(torch.tensor([0.5, 0]))
        adapter.extraction.gamma.copy_(torch.tensor([[2., 1], [0, 3]]))
        adapter.extraction.beta.copy_(torch.tensor([[0., 1], [1, -1]]))
    return adapter


def test_adapter_hand_computed():
    adapter = hand_adapter(scale=0.5)
    with torch.no_grad():
        adapter.up.weight.copy_(
            torch.tensor([[1., 0], [0, 1], [1, 1], [0, 0]]))
        adapter.up.bias.copy_(torch.tensor([0., 0, 0, 1]))
    u = torch.tensor([[[1., 2, 3, 4]]])  # (B=1, N=1, d=4)
    identity = torch.full((1, 1, 4), 10.)
    # h = relu([1 + .5, 2 - 4]) = [1.5, 0]; e_1 = [3, 1], e_2 = [1, -1]
    # e_bar = [2, 0]; e_bar W_up + b_up = [2, 0, 2, 1]; s = 0.5
    out, delta, added = adapter(u, identity)
    assert added == ()
    assert torch.equal(out, torch.tensor([[[11., 10, 11, 10.5]]]))
    assert torch.equal(delta, torch.tensor([[[[1., 1]]], [[[-1., -1]]]]))
    side = delta @ adapter.side_weight()
    assert torch.equal(side[0], torch.tensor([[[0.5, 0.5, 1, 0]]]))
    assert torch.equal(side[1], -side[0])


def test_adapter_init_is_zero_contribution():
    u, identity = torch.randn(2, 5, 32), torch.randn(2, 5, 32)
    for lite in (False, True):
        adapter = VMTAdapter(embed_dims=32, num_tasks=3, lite=lite)
        assert adapter.hidden_dims == 2
        out, delta, _ = adapter(u, identity)
        assert torch.equal(out, identity)
        assert delta.shape == (3, 2, 5, 2)
        assert torch.count_nonzero(delta) == 0
        assert torch.count_nonzero(adapter.down.weight) > 0
    single = VMTAdapter(embed_dims=32, num_tasks=1)
    assert single(u, identity)[1] is None


def test_lite_ties_up_to_down_transpose():
    adapter = VMTAdapter(embed_dims=32, num_tasks=2, lite=True)
    names = {n for n, _ in adapter.named_parameters()}
    assert names == {
        'down.weight', 'down.bias', 'up_bias', 'scale', 'extraction.gamma',
        'extraction.beta'
    }
    assert adapter.scale.item() == 0.
    with torch.no_grad():
        adapter.scale.fill_(2.)
        adapter.up_bias.normal_()
    assert torch.equal(adapter.side_weight(), 2. * adapter.down.weight)
    u, identity = torch.randn(1, 3, 32), torch.zeros(1, 3, 32)
    h = torch.nn.functional.gelu(adapter.down(u))
    expected = 2. * (h @ adapter.down.weight + adapter.up_bias)
    torch.testing.assert_close(adapter(u, identity)[0], expected)
    adapter.init_weights()
    assert adapter.scale.item() == 0. and adapter.up_bias.abs().sum() == 0


def test_adapter_scale_options():
    assert VMTAdapter(embed_dims=32, num_tasks=2).scale == 1.0
    learnable = VMTAdapter(embed_dims=32, num_tasks=2, scale='learnable')
    assert isinstance(learnable.scale, nn.Parameter)
    assert learnable.scale.item() == 1.0
    assert VMTAdapter(embed_dims=32, num_tasks=2, scale=0.1).scale == 0.1
    with pytest.raises(ValueError, match='lite=True'):
        VMTAdapter(embed_dims=32, num_tasks=2, lite=True, scale=1.0)
    with pytest.raises(ValueError, match='scale must be'):
        VMTAdapter(embed_dims=32, num_tasks=2, scale='fixed')
    with pytest.raises(ValueError, match='reduction'):
        VMTAdapter(embed_dims=32, num_tasks=2, reduction=0)


@MODELS.register_module(name='_TestNotAnExtraction', force=True)
class _NotAnExtraction(nn.Module):

    def __init__(self, num_tasks, channels):
        super().__init__()


def test_extraction_must_be_task_extraction():
    with pytest.raises(TypeError, match='BaseTaskExtraction'):
        VMTAdapter(
            embed_dims=32,
            num_tasks=2,
            extraction_cfg=dict(type='_TestNotAnExtraction'))
    with pytest.raises(ValueError, match='num_tasks and channels'):
        TaskScaleShift(num_tasks=0, channels=4)


def test_task_scale_shift_closed_forms():
    ext = TaskScaleShift(num_tasks=3, channels=4)
    with torch.no_grad():
        ext.gamma.normal_()
        ext.beta.normal_()
    h = torch.randn(2, 5, 4)
    e = ext(h)
    assert e.shape == (3, 2, 5, 4)
    torch.testing.assert_close(e[1], ext.gamma[1] * h + ext.beta[1])
    torch.testing.assert_close(
        ext.task_mean(h), BaseTaskExtraction.task_mean(ext, h))
    torch.testing.assert_close(
        ext.task_delta(h), BaseTaskExtraction.task_delta(ext, h))
    ext.init_weights()
    assert torch.equal(ext(h), h.expand(3, -1, -1, -1))


def test_added_tasks_leave_the_base_computation_alone():
    """e_bar stays the base tasks' mean; each added task has its delta."""
    plain = hand_adapter(scale=0.5)
    adapter = hand_adapter(scale=0.5, added_tasks=('sal', 'depth'))
    with torch.no_grad():
        for a in (plain, adapter):
            a.up.weight.copy_(torch.tensor([[1., 0], [0, 1], [1, 1], [0, 0]]))
        adapter.added_extraction['sal'].gamma.copy_(torch.tensor([[4., 2]]))
        adapter.added_extraction['sal'].beta.copy_(torch.tensor([[1., 0]]))
    names = {n for n, _ in adapter.named_parameters()}
    assert {'added_extraction.sal.gamma',
            'added_extraction.depth.beta'} <= names
    u = torch.tensor([[[1., 2, 3, 4]]])
    identity = torch.full((1, 1, 4), 10.)
    ref = plain(u, identity)
    out = adapter(u, identity)
    assert torch.equal(out.out, ref.out) and torch.equal(out.delta, ref.delta)
    # h = [1.5, 0], e_bar = [2, 0]; sal: e = [4*1.5+1, 0] = [7, 0];
    # depth (identity extraction): e = h = [1.5, 0]
    assert torch.equal(out.added[0], torch.tensor([[[[5., 0]]]]))
    assert torch.equal(out.added[1], torch.tensor([[[[-0.5, 0]]]]))
    adapter.init_weights()
    assert torch.equal(adapter.added_extraction['sal'].gamma, torch.ones(1, 2))


def test_mean_task_state_is_the_task_mean():
    ext = TaskScaleShift(num_tasks=3, channels=4)
    with torch.no_grad():
        ext.gamma.normal_()
        ext.beta.normal_()
    one = TaskScaleShift(num_tasks=1, channels=4)
    one.load_state_dict(ext.mean_task_state(ext.state_dict()))
    h = torch.randn(2, 5, 4)
    torch.testing.assert_close(one(h)[0], ext.task_mean(h))
    with pytest.raises(ValueError, match='no task dimension of size 3'):
        ext.mean_task_state(dict(gamma=torch.ones(2, 4)))
