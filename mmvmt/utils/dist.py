"""Distributed runs without GPUs (PyTorch DDP over gloo on CPU)."""
import logging

import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS

__all__ = [
    'setup_cpu_distributed', 'CPUDistributedDataParallel', 'finish_distributed'
]

#: Wrapper types :func:`setup_cpu_distributed` replaces with the CPU one.
DEFAULT_WRAPPERS = (None, 'MMDistributedDataParallel')


def _num_sync_bn(module: nn.Module) -> int:
    return sum(
        isinstance(m, nn.modules.batchnorm.SyncBatchNorm)
        or type(m).__name__ == 'SyncBatchNorm' for m in module.modules())


# In mmengine's root registry: ``Runner.wrap_model`` looks the type up with
# ``MODEL_WRAPPERS.get``, which does not search the scoped child registries.
@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes (gloo).

    ``SyncBatchNorm`` only runs on GPUs, and every shipped config uses it
    in the decode heads. This wrapper turns every SyncBN layer into a plain
    BN layer first (mmengine's :func:`revert_sync_batchnorm`, which keeps
    the weights, statistics and ``requires_grad``) and says so in one log
    line; each process then normalises over its own batch, and DDP
    broadcasts rank 0's running statistics.

    Args:
        module: The model.
        **kwargs: As for :class:`MMDistributedDataParallel`.
    """

    def __init__(self, module: nn.Module, **kwargs) -> None:
        num = _num_sync_bn(module)
        if num:
            module = revert_sync_batchnorm(module)
            print_log(
                f'CPU distributed run (gloo): converted {num} SyncBatchNorm '
                'layers to BatchNorm (SyncBatchNorm needs GPUs)',
                logger='current')
        super().__init__(module=module, **kwargs)


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a ``--launcher pytorch`` run on a machine without CUDA.

    mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and its
    DDP wrapper always passes ``device_ids``; both fail on CPU, and so does
    SyncBN. When the launcher is ``pytorch`` and CUDA is unavailable, this
    initialises the process group itself with the gloo backend (the Runner
    then skips its own ``init_dist``) and selects
    :class:`CPUDistributedDataParallel` (unless the config names another
    wrapper, which then only gets ``device_ids=None``). GPU runs are left
    untouched.

    Args:
        cfg: The full config; ``cfg.launcher`` must be set.

    Returns:
        bool: Whether the CPU set-up was applied.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if backend not in (None, 'gloo'):
        print_log(
            f'no CUDA device: using the gloo backend instead of '
            f'{backend!r}',
            logger='current',
            level=logging.WARNING)
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg', None) or {})
    if wrapper.get('type') in DEFAULT_WRAPPERS:
        wrapper['type'] = 'CPUDistributedDataParallel'
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


#: The last collective of a finished run (see :func:`finish_distributed`).
_LAST_WORK = []


def finish_distributed(cfg: Config) -> None:
    """End a finished distributed run before the interpreter shuts down.

    Call it when ``runner.train()`` / ``runner.test()`` has returned on
    every rank. Without it a 2-process CPU run could abort after its work
    was done and saved (SIGABRT, ``terminate called without an active
    exception``; 2 of 20 exits of a minimal DDP script here). gloo's C++
    worker threads outlive the run (the DDP wrapper holds the group) and
    free each collective they ran after the caller has moved on. Freeing
    one decrefs Python objects (its tensors, its saved thread-local
    state), so the thread takes the GIL; if Python is finalising by then,
    it makes the thread exit (``pthread_exit``) and the unwinding through
    C++ code calls ``std::terminate``. Destroying the group does not stop
    that (1 of 20), nor does a barrier before it (2 of 40): the barrier's
    own work is freed the same way.

    So every rank meets at a barrier whose work this module keeps: it
    holds every collective still in flight when it was queued, and the
    worker that ran it is not the last owner, so all of them are freed by
    the main thread, with the GIL, when the module is torn down (0 of 40).
    Then the process group is destroyed (mmengine never does; NCCL warns
    about that).

    Args:
        cfg: The run's config; nothing happens unless ``cfg.launcher`` is
            a distributed launcher and a process group exists.
    """
    if cfg.get('launcher', 'none') in (None, 'none'):
        return
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    work = torch_dist.barrier(async_op=True)
    work.wait()
    _LAST_WORK.append(work)
    torch_dist.destroy_process_group()
