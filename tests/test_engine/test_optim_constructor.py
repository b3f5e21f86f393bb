"""One summary line for frozen parameters; the optimizer is unchanged."""
import logging

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor

from mmvmt.engine.optim_constructor import (
    SKIPPED_FROZEN_TEXT, FrozenSummaryOptimWrapperConstructor)


class Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _model():
    model = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3), nn.Linear(3, 2))
    model[0].requires_grad_(False)  # 12 + 3 frozen values, 2 tensors
    return model


def test_frozen_parameters_get_one_summary_line():
    cfg = dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4))
    paramwise_cfg = dict(norm_decay_mult=0.0)
    logger = MMLogger.get_current_instance()
    records = Records()
    logger.addHandler(records)
    try:
        ours = FrozenSummaryOptimWrapperConstructor(dict(cfg), paramwise_cfg)(
            _model())
        mine = records.messages[:]
        stock = DefaultOptimWrapperConstructor(dict(cfg), paramwise_cfg)(
            _model())
    finally:
        logger.removeHandler(records)
    assert not [m for m in mine if SKIPPED_FROZEN_TEXT in m]
    assert [m for m in mine if 'frozen' in m] == [
        'optimizer: 2 frozen parameter tensors (15 values, '
        'requires_grad=False) are not optimised; 14 values train.'
    ]
    # mmengine's own constructor logs one line per frozen tensor ...
    assert len([m for m in records.messages if SKIPPED_FROZEN_TEXT in m]) == 2
    # ... and builds the same parameter groups.
    groups = [[(g['lr'], g['weight_decay'], [p.shape for p in g['params']])
               for g in w.optimizer.param_groups] for w in (ours, stock)]
    assert groups[0] == groups[1]
    assert logger.filters == []
