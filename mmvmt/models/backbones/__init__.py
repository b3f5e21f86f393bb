"""Backbones adapted for multi-task dense prediction."""
from .swin_checkpoint import (check_state_dict_shapes,
                              resize_relative_position_tables,
                              swin_state_dict_from_checkpoint)
from .vmt_swin import VMTSwinTransformer

__all__ = [
    'VMTSwinTransformer', 'swin_state_dict_from_checkpoint',
    'resize_relative_position_tables', 'check_state_dict_shapes'
]
