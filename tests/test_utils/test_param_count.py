"""Parameter breakdown: groups add up and match the closed-form counts."""
import pytest
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

from mmvmt.utils.param_count import count_parameters, group_of


def _build(tasks, lite=False):
    return MODELS.build(tiny_model_cfg(tasks, lite=lite))


@pytest.mark.parametrize('name,group', [
    ('backbone.stages.0.blocks.0.ffn.layers.0.0.weight',
     'backbone.pretrained'),
    ('backbone.stages.0.blocks.0.adapter.down.weight', 'backbone.adapters'),
    ('backbone.stages.1.blocks.0.adapter.extraction.gamma',
     'backbone.extraction'),
    ('backbone.task_norms.sal.norm2.weight', 'backbone.task_norms'),
    ('backbone.peft.shared.stages__0__blocks__0__attn__w_msa__qkv.lora_a',
     'backbone.peft'),
    ('backbone.task_tuned.sal.stages__0__blocks__0__norm1__bias',
     'backbone.task_tuned'),
    ('decode_heads.normals.conv_seg.weight', 'head.normals'),
    ('neck.lateral.weight', 'neck'),
])
def test_group_of(name, group):
    assert group_of(name) == group


@pytest.mark.parametrize('lite', [False, True])
def test_groups_add_up_and_only_pretrained_is_frozen(lite):
    model = _build(('semseg', 'sal', 'normals'), lite=lite)
    counts = count_parameters(model)
    total = counts.pop('total')
    assert total['trainable'] + total['frozen'] == sum(
        p.numel() for p in model.parameters())
    assert sum(g['trainable'] + g['frozen'] for g in counts.values()) == \
        total['trainable'] + total['frozen']
    frozen_groups = {k for k, v in counts.items() if v['frozen']}
    assert frozen_groups == {'backbone.pretrained'}
    assert counts['backbone.pretrained']['trainable'] == 0


def test_adding_a_task_adds_only_extraction_norms_and_a_head():
    small = count_parameters(_build(('semseg', 'sal')))
    big = count_parameters(_build(('semseg', 'sal', 'depth')))
    assert big['backbone.pretrained'] == small['backbone.pretrained']
    assert big['backbone.adapters'] == small['backbone.adapters']
    # tiny Swin: embed 16, depths (1, 1, 2, 1), reduction 4 -> k = d / 4.
    dims = [16, 32, 64, 64, 128]
    extraction_per_task = sum(2 * d // 4 for d in dims)
    norms_per_task = 2 * (16 + 32 + 64 + 128)
    assert (big['backbone.extraction']['trainable'] -
            small['backbone.extraction']['trainable']) == extraction_per_task
    assert (big['backbone.task_norms']['trainable'] -
            small['backbone.task_norms']['trainable']) == norms_per_task
    assert 'head.depth' in big and 'head.depth' not in small
    added = big['total']['trainable'] - small['total']['trainable']
    head = big['head.depth']['trainable']
    assert added == extraction_per_task + norms_per_task + head
