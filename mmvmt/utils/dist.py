"""Distributed runs without GPUs (PyTorch DDP over gloo on CPU)."""
import logging

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log

__all__ = ['setup_cpu_distributed']


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a ``--launcher pytorch`` run on a machine without CUDA.

    mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and its
    DDP wrapper always passes ``device_ids``; both fail on CPU. When the
    launcher is ``pytorch`` and CUDA is unavailable, this initialises the
    process group itself with the gloo backend (the Runner then skips its own
    ``init_dist``) and makes the DDP wrapper CPU-compatible. GPU runs are
    left untouched.

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
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True
