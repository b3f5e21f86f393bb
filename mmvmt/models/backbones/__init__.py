"""Backbones adapted for multi-task dense prediction."""
from .swin_checkpoint import (pretrained_load_report,
                              resize_relative_position_tables,
                              swin_state_dict_from_checkpoint)
from .vmt_swin import VMTSwinTransformer

__all__ = [
    'VMTSwinTransformer', 'swin_state_dict_from_checkpoint',
    'resize_relative_position_tables', 'pretrained_load_report'
]
