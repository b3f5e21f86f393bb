"""Segmentors and the pure pieces they are built from."""
from .frozen_tasks import shared_state_keys, task_state_keys
from .multitask_encoder_decoder import MultiTaskEncoderDecoder
from .restore import remove_padding, restore_logits, undo_flip
from .task_modules import (backbone_cfg_for_tasks, build_task_head,
                           check_backbone_tasks, check_task_head,
                           head_cfg_for_task)

__all__ = [
    'MultiTaskEncoderDecoder', 'remove_padding', 'undo_flip', 'restore_logits',
    'backbone_cfg_for_tasks', 'check_backbone_tasks', 'head_cfg_for_task',
    'check_task_head', 'build_task_head', 'task_state_keys',
    'shared_state_keys'
]
