"""The mmseg / mmengine internals of ``mmvmt.models.mmseg_compat``, pinned
against the installed stack: each test fails if an upgrade changes one."""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmseg.models.backbones import SwinTransformer
from mmseg.models.backbones.swin import SwinBlock
from mmseg.models.decode_heads import FCNHead, UPerHead

from mmvmt.models.adapters import VMTAdapter
from mmvmt.models.backbones import VMTSwinTransformer
from mmvmt.models.decode_heads import MultiScaleFusionHead
from mmvmt.models.mmseg_compat import (config_class, input_size_metas,
                                       runner_load_from, swin_block_forward,
                                       swin_window_attention, takes_argument,
                                       uses_class_map_loss)


def _random_block(shift: bool, with_cp: bool = False) -> SwinBlock:
    torch.manual_seed(0)
    block = SwinBlock(
        embed_dims=16,
        num_heads=2,
        feedforward_channels=32,
        window_size=4,
        shift=shift,
        with_cp=with_cp)
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return block.eval()


@pytest.mark.parametrize('shift', [False, True], ids=['w-msa', 'sw-msa'])
def test_swin_block_forward_is_mmseg_forward(shift):
    block = _random_block(shift)
    # 6x10 tokens: not a multiple of the window, so padding is exercised
    x, hw = torch.randn(2, 60, 16), (6, 10)
    with torch.no_grad():
        ref = block(x, hw)
        assert torch.equal(swin_block_forward(block, x, hw), ref)
        # the VMT block forward with a zero-contribution adapter
        block.adapter = VMTAdapter(embed_dims=16, num_tasks=3, reduction=4)
        out, delta, added = VMTSwinTransformer._block_forward(block, x, hw)
    assert torch.equal(out, ref) and added == ()
    assert delta.shape == (3, 2, 60, 4) and not delta.any()


@pytest.mark.parametrize('shift', [False, True], ids=['w-msa', 'sw-msa'])
def test_swin_window_attention_is_mmseg_forward(shift):
    attn = _random_block(shift).attn
    x, hw = torch.randn(2, 60, 16), (6, 10)  # padded to the window
    proj = attn.w_msa.proj
    with torch.no_grad():
        ref = attn(x, hw)
        assert torch.equal(swin_window_attention(attn, x, hw), ref)
        # n stacked projections -> n outputs, each merged like mmseg's
        twice = swin_window_attention(
            attn, x, hw, lambda a: torch.stack([proj(a), 2 * proj(a)]))
        proj.bias.mul_(2)
        proj.weight.mul_(2)
        doubled = attn(x, hw)
    assert twice.shape == (4, 60, 16)
    assert torch.equal(twice[:2], ref)
    torch.testing.assert_close(twice[2:], doubled)


def test_swin_block_forward_checkpointing_matches():
    x, hw = torch.randn(1, 60, 16), (6, 10)
    outs, grads = [], []
    for with_cp in (False, True):
        block = _random_block(True, with_cp)
        block.adapter = VMTAdapter(embed_dims=16, num_tasks=2, reduction=4)
        xi = x.clone().requires_grad_()
        out, delta, _ = VMTSwinTransformer._block_forward(block, xi, hw)
        (out.square().sum() + delta.sum()).backward()
        outs.append(out.detach())
        grads.append(block.adapter.up.weight.grad)
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(grads[0], grads[1])


def test_input_size_metas_set_the_heads_output_size():
    head = FCNHead(
        in_channels=4, channels=4, num_convs=1, num_classes=3, in_index=0)
    feats = [torch.randn(1, 4, 5, 7)]
    metas = [dict(img_shape=(30, 40), pad_shape=(32, 48))]
    with torch.no_grad():
        # mmseg: tuple img_shape -> resize to pad_shape
        assert head.predict(feats, metas, None).shape[2:] == (32, 48)
        out = head.predict(feats, input_size_metas(metas, (20, 28)), None)
    assert out.shape[2:] == (20, 28)
    assert metas == [dict(img_shape=(30, 40), pad_shape=(32, 48))]


def test_takes_argument():
    assert takes_argument(MultiScaleFusionHead, 'task')
    assert not takes_argument(FCNHead, 'task')  # only **kwargs
    assert takes_argument(VMTSwinTransformer, 'tasks')
    assert not takes_argument(SwinTransformer, 'tasks')
    assert not takes_argument(VMTSwinTransformer, 'task')


def test_config_class():
    assert config_class(dict(type='FCNHead')) is FCNHead
    assert config_class(dict(type='mmseg.UPerHead')) is UPerHead
    assert config_class(dict(type=FCNHead)) is FCNHead
    assert config_class(dict(type='NoSuchHead')) is None
    assert config_class(dict()) is None


def test_uses_class_map_loss():
    assert uses_class_map_loss(FCNHead)
    assert uses_class_map_loss(UPerHead)
    assert not uses_class_map_loss(MultiScaleFusionHead)


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.linear(inputs)


@pytest.mark.parametrize('load_from', [None, 'weights/iter_10.pth'])
def test_runner_load_from(tmp_path, load_from):
    runner = Runner(
        model=_ToyModel(),
        work_dir=str(tmp_path),
        load_from=load_from,
        default_scope='mmseg')
    assert runner_load_from(runner) == load_from
