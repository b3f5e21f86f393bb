"""Runner hooks."""
from .multitask_output_hook import MultiTaskOutputHook
from .trainable_checkpoint_hook import (TrainableCheckpointHook,
                                        trainable_state_keys)

__all__ = [
    'MultiTaskOutputHook', 'TrainableCheckpointHook', 'trainable_state_keys'
]
