"""Dense task losses (cross-entropy is mmseg's ``CrossEntropyLoss``)."""
from .bce_loss import (BalancedBCELoss, WeightedBCELoss,
                       weighted_bce_with_logits)
from .class_balanced_ce_loss import ClassBalancedCELoss, balanced_class_weights
from .l1_loss import DepthL1Loss, NormalsL1Loss
from .utils import BaseTaskLoss, as_float32, masked_mean, match_target

__all__ = [
    'BalancedBCELoss', 'WeightedBCELoss', 'weighted_bce_with_logits',
    'ClassBalancedCELoss', 'balanced_class_weights', 'NormalsL1Loss',
    'DepthL1Loss', 'BaseTaskLoss', 'masked_mean', 'match_target', 'as_float32'
]
