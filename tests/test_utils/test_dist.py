"""setup_cpu_distributed, in-process: torch.distributed is monkeypatched."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmvmt.utils import dist as dist_utils
from mmvmt.utils import finish_distributed, setup_cpu_distributed


@pytest.fixture
def fake_dist(monkeypatch):
    """No CUDA, no process group yet; records init_process_group calls
    and, in order, barriers and destroys."""
    calls, ends = [], []
    state = dict(initialized=False)

    def init_process_group(**kwargs):
        calls.append(kwargs)
        state['initialized'] = True

    def destroy_process_group():
        ends.append('destroy')
        state['initialized'] = False

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist_utils.torch_dist, 'is_initialized',
                        lambda: state['initialized'])
    monkeypatch.setattr(dist_utils.torch_dist, 'init_process_group',
                        init_process_group)

    def barrier(async_op=False):
        ends.append(f'barrier(async_op={async_op})')
        return SimpleNamespace(wait=lambda: ends.append('wait'))

    monkeypatch.setattr(dist_utils.torch_dist, 'barrier', barrier)
    monkeypatch.setattr(dist_utils, '_LAST_WORK', [])
    monkeypatch.setattr(dist_utils.torch_dist, 'destroy_process_group',
                        destroy_process_group)
    return SimpleNamespace(calls=calls, state=state, ends=ends)


def _cfg(launcher='pytorch', **kwargs):
    return Config(dict(launcher=launcher, **kwargs))


def test_cpu_pytorch_launch_uses_gloo_and_cpu_ddp(fake_dist):
    cfg = _cfg(env_cfg=dict(dist_cfg=dict(backend='gloo')))
    assert setup_cpu_distributed(cfg) is True
    assert fake_dist.calls == [dict(backend='gloo')]
    assert cfg.model_wrapper_cfg == dict(
        type='CPUDistributedDataParallel', device_ids=None)


def test_the_default_wrapper_type_is_replaced(fake_dist):
    cfg = _cfg(model_wrapper_cfg=dict(type='MMDistributedDataParallel'))
    setup_cpu_distributed(cfg)
    assert cfg.model_wrapper_cfg.type == 'CPUDistributedDataParallel'


def test_cpu_wrapper_turns_sync_bn_into_bn(monkeypatch):
    """One log line, BN layers with the same weights and flags."""
    logged = []
    monkeypatch.setattr(dist_utils, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    captured = {}

    def fake_ddp_init(self, module, **kwargs):
        captured.update(module=module, kwargs=kwargs)

    monkeypatch.setattr(dist_utils.MMDistributedDataParallel, '__init__',
                        fake_ddp_init)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 1), torch.nn.SyncBatchNorm(2),
        torch.nn.Sequential(torch.nn.SyncBatchNorm(2)))
    model[1].weight.requires_grad_(False)
    weight = model[1].weight
    dist_utils.CPUDistributedDataParallel(module=model, device_ids=None)
    module = captured['module']
    assert captured['kwargs'] == dict(device_ids=None)
    kinds = [type(m) for m in module.modules()]
    assert torch.nn.SyncBatchNorm not in kinds
    # mmengine's _BatchNormXd: a plain _BatchNorm for any input rank
    assert sum(
        issubclass(k, torch.nn.modules.batchnorm._BatchNorm)
        for k in kinds) == 2
    assert module[1].weight is weight and not module[1].weight.requires_grad
    assert logged == [
        'CPU distributed run (gloo): converted 2 SyncBatchNorm '
        'layers to BatchNorm (SyncBatchNorm needs GPUs)'
    ]


def test_the_wrapper_is_found_as_runner_wrap_model_looks_it_up():
    from mmengine.registry import MODEL_WRAPPERS
    assert MODEL_WRAPPERS.get('CPUDistributedDataParallel') is \
        dist_utils.CPUDistributedDataParallel


def test_nccl_is_replaced_with_a_warning(fake_dist, monkeypatch):
    logged = []
    monkeypatch.setattr(dist_utils, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    cfg = _cfg(env_cfg=dict(dist_cfg=dict(backend='nccl')))
    assert setup_cpu_distributed(cfg) is True
    assert fake_dist.calls == [dict(backend='gloo')]
    ((msg, kwargs), ) = logged
    assert msg == "no CUDA device: using the gloo backend instead of 'nccl'"
    assert kwargs['level'] == logging.WARNING


def test_existing_process_group_and_wrapper_are_kept(fake_dist):
    fake_dist.state['initialized'] = True
    cfg = _cfg(
        model_wrapper_cfg=dict(
            type='MyWrapper', find_unused_parameters=True, device_ids=[0]))
    assert setup_cpu_distributed(cfg) is True
    assert fake_dist.calls == []
    assert cfg.model_wrapper_cfg == dict(
        type='MyWrapper', find_unused_parameters=True, device_ids=None)


@pytest.mark.parametrize('launcher', ['none', 'slurm', None])
def test_other_launchers_are_left_alone(fake_dist, launcher):
    cfg = Config() if launcher is None else _cfg(launcher)
    assert setup_cpu_distributed(cfg) is False
    assert fake_dist.calls == []
    assert 'model_wrapper_cfg' not in cfg


def test_gpu_runs_are_left_alone(fake_dist, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _cfg()
    assert setup_cpu_distributed(cfg) is False
    assert fake_dist.calls == []
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.parametrize('launcher', ['pytorch', 'slurm'])
def test_a_finished_run_meets_at_a_barrier_then_destroys_the_group(
        fake_dist, launcher):
    """gloo frees finished collectives on its own threads; one freed while
    the interpreter shuts down aborts the process (SIGABRT). The barrier's
    work is kept, so the main thread frees it and what it holds."""
    fake_dist.state['initialized'] = True
    finish_distributed(_cfg(launcher))
    ends = ['barrier(async_op=True)', 'wait', 'destroy']
    assert fake_dist.ends == ends
    assert len(dist_utils._LAST_WORK) == 1
    finish_distributed(_cfg(launcher))  # nothing left
    assert fake_dist.ends == ends


def test_finishing_a_non_distributed_run_touches_nothing(fake_dist):
    fake_dist.state['initialized'] = True  # e.g. a group of another user
    finish_distributed(_cfg('none'))
    finish_distributed(Config())
    assert fake_dist.ends == [] and fake_dist.state['initialized']
