"""A trainable-only state dict never leaves a silently random backbone."""
import pytest
import torch
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg


def _trainable_state(model):
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in model.state_dict().items() if k in trainable}


def test_uninitialised_model_refuses_trainable_only_state():
    model = MODELS.build(tiny_model_cfg(('semseg', 'sal')))
    with pytest.raises(RuntimeError, match='trainable-only'):
        model.load_state_dict(_trainable_state(model), strict=False)


def test_initialised_model_or_full_state_loads():
    torch.manual_seed(0)
    source = MODELS.build(tiny_model_cfg(('semseg', 'sal')))
    full = source.state_dict()
    target = MODELS.build(tiny_model_cfg(('semseg', 'sal')))
    target.load_state_dict(full)  # a full state dict needs no init
    assert all(torch.equal(v, target.state_dict()[k]) for k, v in full.items())
    fresh = MODELS.build(tiny_model_cfg(('semseg', 'sal')))
    fresh.init_weights()
    fresh.load_state_dict(_trainable_state(source), strict=False)
    for name, value in _trainable_state(source).items():
        assert torch.equal(fresh.state_dict()[name], value), name
