"""Swin checkpoint conversion, table resizing and the loading report."""
import logging
from collections import namedtuple

import pytest
import torch

from mmvmt.models.backbones import (pretrained_load_report,
                                    resize_relative_position_tables,
                                    swin_state_dict_from_checkpoint)

TABLE = 'stages.0.blocks.0.attn.w_msa.relative_position_bias_table'
INDEX = 'stages.0.blocks.0.attn.w_msa.relative_position_index'
Result = namedtuple('Result', ['missing_keys', 'unexpected_keys'])


def test_state_dict_from_checkpoint_conversions():
    w = torch.zeros(2)
    ckpt = {
        'state_dict': {
            'module.backbone.patch_embed.norm.weight': w,
            'module.backbone.norm.weight': w,
            'module.backbone.norm.bias': w,
            'module.backbone.stages.0.blocks.1.attn.attn_mask': w,
            'module.head.fc.weight': w,
        }
    }
    sd, ignored = swin_state_dict_from_checkpoint(ckpt, num_stages=4)
    assert sorted(sd) == [
        'norm3.bias', 'norm3.weight', 'patch_embed.norm.weight'
    ]
    assert ignored == ['head.fc.weight', 'stages.0.blocks.1.attn.attn_mask']
    # an explicit prefix
    sd, ignored = swin_state_dict_from_checkpoint(
        {'model': {
            'encoder.norm0.weight': w,
            'other': w
        }},
        num_stages=4,
        prefix='encoder.')
    assert list(sd) == ['norm0.weight'] and ignored == ['other']
    with pytest.raises(ValueError, match="my.pth: no key .* 'backbone.'"):
        swin_state_dict_from_checkpoint({'a.b': w},
                                        num_stages=4,
                                        prefix='backbone.',
                                        source='my.pth')


def test_resize_tables_to_the_model_window():
    # checkpoint window 7 (13x13 offsets), model window 5 (9x9), 2 heads
    state = {TABLE: torch.randn(169, 2), INDEX: torch.zeros(49, 49)}
    model = {TABLE: torch.zeros(81, 2), INDEX: torch.zeros(25, 25)}
    assert resize_relative_position_tables(state, model) == [TABLE]
    assert state[TABLE].shape == (81, 2)
    assert INDEX not in state  # the model's own index is kept
    # same size, or another number of heads: left for load_state_dict
    for table in (torch.randn(81, 2), torch.randn(169, 3)):
        state = {TABLE: table}
        assert resize_relative_position_tables(state, model) == []
        assert state[TABLE] is table


def test_pretrained_load_report():
    result = Result(
        missing_keys=['norm0.bias', 'a.adapter.up.weight', INDEX],
        unexpected_keys=['extra.weight'])
    records = pretrained_load_report(
        'Net',
        'swin.pth',
        result,
        num_tensors=10,
        ignored=['head.fc.weight'],
        resized=[TABLE],
        expected_missing=lambda k: '.adapter.' in k)
    warnings = [m for level, m in records if level == logging.WARNING]
    infos = [m for level, m in records if level == logging.INFO]
    assert warnings == [
        "Net: 1 pretrained weight(s) missing in swin.pth, left at their "
        "initialisation: ['norm0.bias']",
        "Net: 1 unexpected key(s) in swin.pth were ignored: "
        "['extra.weight']"
    ]
    assert infos == [
        "Net: skipped 1 non-backbone entries of swin.pth: "
        "['head.fc.weight']",
        f"Net: resized relative position tables ['{TABLE}']",
        'Net: loaded 9 tensors from swin.pth'
    ]
    clean = pretrained_load_report('Net', 'swin.pth', Result([], []), 4)
    assert clean == [(logging.INFO, 'Net: loaded 4 tensors from swin.pth')]
