"""Each method's trainable count equals its docstring's closed form."""
import pytest
from mmseg.registry import MODELS
from peft_cases import METHODS, SWIN_T, TINY_SWIN, closed_form, peft_cfg

from mmvmt.models.peft import LoRA

PASCAL = ('semseg', 'human_parts', 'sal', 'normals')


def _trainable(cfg):
    return MODELS.build(cfg).num_trainable()


@pytest.mark.parametrize('per_task', [False, True])
@pytest.mark.parametrize('name', sorted(METHODS))
def test_tiny_swin_counts(name, per_task):
    method = METHODS[name]
    tasks = ('semseg', 'sal', 'normals')
    model = MODELS.build(peft_cfg(method, per_task=per_task, tasks=tasks))
    expected = closed_form(method, TINY_SWIN, 3 if per_task else 1)
    assert model.num_trainable() == expected
    report = model.param_report()
    assert report['trainable'] == expected
    assert report['trainable'] + report['frozen'] == report['total']


# The DESIGN / docstring figures for Swin-T, then T = 4 copies per task.
@pytest.mark.parametrize('method, swin_t', [
    (dict(type='LoRA', rank=4), 70656),
    (dict(type='BitFit'), 52896),
    (dict(type='BitFit', norm_bias=False), 39840),
    (dict(type='RelPosBiasTuning'), 23322),
    (dict(type='HoulsbyAdapter', reduction=16), 274260),
])
def test_swin_t_counts(method, swin_t):
    assert closed_form(method, SWIN_T) == swin_t
    assert _trainable(peft_cfg(method, swin=SWIN_T, tasks=PASCAL)) == swin_t


@pytest.mark.parametrize('method', [
    dict(type='LoRA', rank=4),
    dict(type='BitFit'),
])
def test_swin_t_per_task_is_t_copies(method):
    count = _trainable(
        peft_cfg(method, swin=SWIN_T, per_task=True, tasks=PASCAL))
    assert count == 4 * closed_form(method, SWIN_T)


def test_lora_on_proj_and_mlp():
    targets = ('*attn.w_msa.qkv', '*attn.w_msa.proj', '*ffn.layers.0.0',
               '*ffn.layers.1')
    method = dict(type='LoRA', rank=3, targets=targets)
    expected = closed_form(
        dict(method, _parts=('qkv', 'proj', 'fc1', 'fc2')), TINY_SWIN)
    assert _trainable(peft_cfg(method)) == expected == 16 * 3 * 304


def test_decoder_only_trains_nothing():
    model = MODELS.build(peft_cfg(None))
    assert model.num_trainable() == 0
    assert model.param_report()['frozen'] == sum(
        p.numel() for p in MODELS.build(TINY_SWIN).parameters())


def test_lora_scale_and_rank_check():
    assert LoRA(rank=4, alpha=16).scale == 4.0
    assert LoRA(rank=8).scale == 1.0
    with pytest.raises(ValueError, match='rank must be >= 1'):
        LoRA(rank=0)
