"""Runner hooks."""
from .multitask_output_hook import MultiTaskOutputHook, save_task_prediction
from .trainable_checkpoint_hook import (TrainableCheckpointHook,
                                        trainable_state_keys)

__all__ = [
    'MultiTaskOutputHook', 'save_task_prediction', 'TrainableCheckpointHook',
    'trainable_state_keys'
]
