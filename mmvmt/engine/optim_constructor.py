"""One log line for the frozen parameters instead of one per parameter.

mmengine's ``DefaultOptimWrapperConstructor`` logs "<name> is skipped since
its requires_grad=False" for every frozen parameter: 177 warnings for a
frozen Swin-T. :class:`FrozenSummaryOptimWrapperConstructor` builds exactly
the same optimizer (it subclasses the default constructor and changes no
rule) while a logging filter holds those per-parameter records back, and
logs one summary line instead.

A filter, rather than a re-implementation of ``add_params``, keeps
mmengine's parameter-group rules (``paramwise_cfg``) in one place.
"""
import logging

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['FrozenSummaryOptimWrapperConstructor', 'SKIPPED_FROZEN_TEXT']

#: The text of mmengine's per-parameter message.
SKIPPED_FROZEN_TEXT = 'is skipped since its requires_grad=False'


class _HoldBackSkipped(logging.Filter):
    """Drop (and count) mmengine's per-frozen-parameter records."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if SKIPPED_FROZEN_TEXT in record.getMessage():
            self.count += 1
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FrozenSummaryOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` with a one-line frozen summary.

    Same arguments; select it with
    ``optim_wrapper = dict(constructor='FrozenSummaryOptimWrapperConstructor',
    ...)`` (the mmvmt schedules do).
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper; log frozen parameters once."""
        logger = MMLogger.get_current_instance()
        held_back = _HoldBackSkipped()
        logger.addFilter(held_back)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(held_back)
        frozen = [p for p in model.parameters() if not p.requires_grad]
        if frozen:
            trained = sum(p.numel() for p in model.parameters()
                          if p.requires_grad)
            print_log(
                f'optimizer: {len(frozen)} frozen parameter tensors '
                f'({sum(p.numel() for p in frozen):,} values, '
                'requires_grad=False) are not optimised; '
                f'{trained:,} values train.',
                logger='current')
        return optim_wrapper
