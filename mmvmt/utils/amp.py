"""Mixed precision for a training run: ``--amp``, AMP configs, no CUDA.

mmengine's ``AmpOptimWrapper`` (float16 autocast and a dynamic loss scale)
asserts that a CUDA (or NPU/MLU/MUSA) device exists when it is built, so
``--amp`` on a CPU machine used to stop with an ``AssertionError`` deep in
the runner. :func:`configure_amp` decides before the runner is built:

* ``--amp`` with CUDA: ``OptimWrapper`` becomes ``AmpOptimWrapper`` with a
  dynamic loss scale (mmseg's ``tools/train.py`` rule);
* ``--amp`` without CUDA: :class:`AmpUnavailableError`, saying what to do
  (the request cannot be honoured; nothing is trained);
* a config that asks for AMP itself (the literature setting's recipe) on a
  machine without CUDA: trained in float32 with ``OptimWrapper`` (same
  optimizer, clipping and schedule), with a warning. float32 is the more
  precise of the two, so the config stays usable on CPU (tests, demos).

bfloat16 autocast on CPU is not offered: mmengine's wrapper refuses CPU
whatever the dtype, and on CPUs without native bfloat16 it is slower than
float32 while still losing precision.
"""
import logging
from typing import Optional, Tuple

import torch
from mmengine.config import Config

__all__ = ['AmpUnavailableError', 'configure_amp', 'AMP_WRAPPER']

#: mmengine's mixed-precision optimizer wrapper.
AMP_WRAPPER = 'AmpOptimWrapper'
#: ``AmpOptimWrapper`` arguments that ``OptimWrapper`` does not take.
AMP_ONLY_ARGS = ('loss_scale', 'dtype', 'use_fsdp')


class AmpUnavailableError(RuntimeError):
    """``--amp`` was asked for where it cannot run."""


def _wrapper_type(cfg: Config) -> str:
    kind = cfg.optim_wrapper.get('type', 'OptimWrapper')
    return kind if isinstance(kind, str) else kind.__name__


def configure_amp(cfg: Config,
                  requested: bool,
                  cuda: Optional[bool] = None) -> Optional[Tuple[int, str]]:
    """Set ``cfg.optim_wrapper`` for the run's precision.

    Args:
        cfg: The full config (changed in place).
        requested: Whether ``--amp`` was given.
        cuda: Whether a CUDA device is usable; None asks
            ``torch.cuda.is_available()``.

    Returns:
        tuple | None: ``(logging level, message)`` saying what was decided,
        for the run's log; None when nothing changed.

    Raises:
        AmpUnavailableError: On ``--amp`` without CUDA, or with an
            optimizer wrapper other than ``OptimWrapper`` /
            ``AmpOptimWrapper``.
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    kind = _wrapper_type(cfg)
    if requested:
        if not cuda:
            raise AmpUnavailableError(
                '--amp needs a CUDA GPU (mmengine\'s AmpOptimWrapper: '
                'float16 autocast and loss scaling) and '
                'torch.cuda.is_available() is False on this machine. '
                'Drop --amp to train in float32 here.')
        if kind == AMP_WRAPPER:
            return logging.WARNING, ('--amp: AMP is already enabled in '
                                     'the config.')
        if kind != 'OptimWrapper':
            raise AmpUnavailableError(
                f'--amp turns optim_wrapper.type OptimWrapper into '
                f'{AMP_WRAPPER}; this config has {kind!r}. Set '
                f'optim_wrapper.type={AMP_WRAPPER} in the config instead.')
        cfg.optim_wrapper.type = AMP_WRAPPER
        cfg.optim_wrapper.loss_scale = 'dynamic'
        return logging.INFO, ('AMP (float16 autocast, dynamic loss scale) '
                              'enabled by --amp.')
    if kind == AMP_WRAPPER and not cuda:
        cfg.optim_wrapper.type = 'OptimWrapper'
        for key in AMP_ONLY_ARGS:
            cfg.optim_wrapper.pop(key, None)
        return logging.WARNING, (
            'the config trains with AMP (AmpOptimWrapper), which needs a '
            'CUDA GPU; none is available, so this run trains in float32 '
            '(OptimWrapper, same optimizer, clipping and schedule).')
    return None
