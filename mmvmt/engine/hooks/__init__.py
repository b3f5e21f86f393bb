"""Runner hooks."""
from .multitask_output_hook import MultiTaskOutputHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .trainable_checkpoint_hook import (TrainableCheckpointHook,
                                        configure_checkpoint_hook,
                                        trainable_state_keys)

__all__ = [
    'MultiTaskOutputHook', 'SafeCheckpointHook', 'TrainableCheckpointHook',
    'configure_checkpoint_hook', 'trainable_state_keys'
]
