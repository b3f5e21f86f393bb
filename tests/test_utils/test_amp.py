"""configure_amp: --amp, AMP configs and machines without CUDA."""
import logging

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper

from mmvmt.utils import AmpUnavailableError, configure_amp

AMP_CFG = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1e-3),
    clip_grad=dict(max_norm=5.0))


def _cfg(**optim_wrapper):
    return Config(
        dict(
            optim_wrapper=optim_wrapper or dict(
                type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))))


def test_amp_flag_without_cuda_is_a_clear_error():
    cfg = _cfg()
    with pytest.raises(
            AmpUnavailableError, match=r'--amp needs a CUDA GPU.*Drop --amp'):
        configure_amp(cfg, requested=True, cuda=False)
    assert cfg.optim_wrapper.type == 'OptimWrapper'  # untouched


def test_amp_flag_with_cuda_switches_the_wrapper():
    cfg = _cfg()
    level, message = configure_amp(cfg, requested=True, cuda=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert (level, 'enabled by --amp' in message) == (logging.INFO, True)
    # a config that is AMP already is left as it is, with a warning
    cfg = _cfg(**AMP_CFG)
    level, message = configure_amp(cfg, requested=True, cuda=True)
    assert level == logging.WARNING and 'already' in message
    assert cfg.optim_wrapper.to_dict() == AMP_CFG
    with pytest.raises(AmpUnavailableError, match="'ApexOptimWrapper'"):
        configure_amp(
            _cfg(type='ApexOptimWrapper', optimizer=dict(type='SGD', lr=1)),
            requested=True,
            cuda=True)


def test_amp_config_without_cuda_trains_in_float32():
    cfg = _cfg(**AMP_CFG)
    level, message = configure_amp(cfg, requested=False, cuda=False)
    assert level == logging.WARNING and 'float32' in message
    expected = dict(AMP_CFG, type='OptimWrapper')
    expected.pop('loss_scale')
    assert cfg.optim_wrapper.to_dict() == expected
    # now it builds on this machine, with the config's clipping
    model = torch.nn.Linear(2, 1)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper) is OptimWrapper
    assert wrapper.clip_grad_kwargs == dict(max_norm=5.0)


def test_nothing_to_do():
    for cuda in (False, True):
        cfg = _cfg()
        assert configure_amp(cfg, requested=False, cuda=cuda) is None
        assert cfg.optim_wrapper.type == 'OptimWrapper'
    cfg = _cfg(**AMP_CFG)
    assert configure_amp(cfg, requested=False, cuda=True) is None
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
