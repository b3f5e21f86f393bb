"""The injection mechanism: keys, pretrained loading, init == stock, errors.
"""
import copy

import pytest
import torch
from mmseg.registry import MODELS
from peft_cases import (METHODS, TINY_SWIN, first_tensors, peft_cfg,
                        randomised_state)

TASKS = ('semseg', 'sal', 'normals')


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """A stock tiny Swin with random non-zero weights, and its checkpoint."""
    torch.manual_seed(0)
    stock = MODELS.build(TINY_SWIN)
    stock.load_state_dict(randomised_state(stock))
    stock.eval()
    path = tmp_path_factory.mktemp('ckpt') / 'swin.pth'
    torch.save(dict(state_dict=stock.state_dict()), path)
    return stock, str(path)


def _loaded(method, path, per_task):
    model = MODELS.build(
        peft_cfg(
            method,
            per_task=per_task,
            tasks=TASKS,
            init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('per_task', [False, True])
@pytest.mark.parametrize('name', sorted(METHODS) + ['decoder-only'])
def test_pretrained_loads_and_init_equals_stock(pretrained, name, per_task):
    stock, path = pretrained
    model = _loaded(METHODS.get(name), path, per_task)
    # The wrapped backbone keeps exactly the stock key names and values.
    state = model.backbone.state_dict()
    assert list(state) == list(stock.state_dict())
    assert all(torch.equal(state[k], v) for k, v in stock.state_dict().items())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = stock(x)
        out = model(x)
    if per_task:
        assert list(out) == list(TASKS)
        outs = [out[t] for t in TASKS]
    else:
        outs = [out]
    for feats in outs:
        assert len(feats) == 4
        assert all(torch.equal(a, b) for a, b in zip(feats, ref))


def test_per_task_copies_follow_a_loaded_stock_state(pretrained):
    stock, _ = pretrained
    model = MODELS.build(peft_cfg(METHODS['bitfit'], per_task=True))
    result = model.load_state_dict(
        {
            f'backbone.{k}': v
            for k, v in stock.state_dict().items()
        },
        strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    bias = stock.state_dict()['stages.0.blocks.0.attn.w_msa.qkv.bias']
    for task in ('semseg', 'sal'):
        copy_ = model.task_tuned[task]['stages__0__blocks__0__attn__w_msa__'
                                       'qkv__bias']
        assert torch.equal(copy_, bias)


def test_trainable_names():
    lora = MODELS.build(peft_cfg(METHODS['lora'], per_task=True))
    names = {n for n, p in lora.named_parameters() if p.requires_grad}
    assert 'peft.sal.stages__0__blocks__0__attn__w_msa__qkv.up.weight' in names
    assert all(n.startswith('peft.') for n in names)
    bitfit = MODELS.build(peft_cfg(METHODS['bitfit']))
    names = {n for n, p in bitfit.named_parameters() if p.requires_grad}
    assert 'backbone.stages.0.blocks.0.norm1.bias' in names
    assert all(n.endswith('.bias') for n in names)
    no_norm = MODELS.build(peft_cfg(dict(type='BitFit', norm_bias=False)))
    names = {n for n, p in no_norm.named_parameters() if p.requires_grad}
    assert 'backbone.stages.0.blocks.0.norm1.bias' not in names
    assert 'backbone.patch_embed.projection.bias' in names


def test_deepcopy_keeps_its_own_deltas():
    model = MODELS.build(peft_cfg(METHODS['lora'])).eval()
    clone = copy.deepcopy(model)
    x = torch.randn(1, 3, 32, 32)
    before = first_tensors(model(x))
    for p in clone.peft.parameters():
        torch.nn.init.normal_(p)
    assert all(torch.equal(a, b) for a, b in zip(before, model(x)))
    assert not torch.equal(first_tensors(clone(x))[0], before[0])


def test_errors():
    with pytest.raises(ValueError, match=r"pattern '\*attn\.nope' matches no"):
        MODELS.build(peft_cfg(dict(type='LoRA', targets=['*attn.nope'])))
    with pytest.raises(
            ValueError,
            match="'stages.0.blocks.0.attn.w_msa' is "
            'a WindowMSA, not nn.Linear'):
        MODELS.build(peft_cfg(dict(type='LoRA', targets=['*0.attn.w_msa'])))
    with pytest.raises(
            ValueError,
            match="pattern '\\*w_msa.softmax' matches "
            'only modules the method does not adapt'):
        MODELS.build(peft_cfg(dict(type='BitFit', targets=['*w_msa.softmax'])))
    with pytest.raises(ValueError, match='drop frozen_stages'):
        MODELS.build(peft_cfg(METHODS['lora'], frozen_stages=1))
    with pytest.raises(ValueError, match='put init_cfg on the wrapped'):
        MODELS.build(dict(peft_cfg(None), init_cfg=dict(type='Pretrained')))
    with pytest.raises(TypeError, match='must build a PEFTMethod'):
        MODELS.build(peft_cfg(dict(type='LN', normalized_shape=4)))
    with pytest.raises(KeyError):
        MODELS.build(peft_cfg(METHODS['lora'], tasks=('segm', )))
    model = MODELS.build(peft_cfg(METHODS['lora'], per_task=True))
    with pytest.raises(RuntimeError, match='outside PEFTBackbone.forward'):
        model.backbone(torch.randn(1, 3, 32, 32))


def test_mmpretrain_vit_lora_and_adapter():
    from mmpretrain.models import VisionTransformer
    torch.manual_seed(0)
    vit = VisionTransformer(
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8)
    vit.eval()  # mmpretrain's train() returns None
    x = torch.randn(1, 3, 32, 32)
    ref = vit(x)
    for method, count in ((dict(type='LoRA', rank=2,
                                targets=['*attn.qkv']), 2 * 2 * (32 + 96)),
                          (dict(type='HoulsbyAdapter',
                                reduction=4), 2 * (2 * 32 * 8 + 8 + 32))):
        model = MODELS.build(
            dict(
                type='PEFTBackbone',
                backbone=copy.deepcopy(vit),
                method=method)).eval()
        assert model.num_trainable() == count
        out = model(x)
        assert all(torch.equal(a, b) for a, b in zip(out, ref))
