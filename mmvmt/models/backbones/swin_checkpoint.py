"""Reading Swin checkpoints into mmseg's ``SwinTransformer`` key layout.

Two layouts are accepted:

* mmseg (``tools/model_converters/swin2mmseg.py`` output, or a trained mmseg
  model): keys as ``SwinTransformer.state_dict()``, possibly prefixed with
  ``backbone.`` and/or ``module.``;
* mmpretrain (``mmpretrain.models.SwinTransformer`` inside an
  ``ImageClassifier``): the same module names under ``backbone.``, plus
  ``head.*`` / ``data_preprocessor.*`` entries, ``attn_mask`` buffers in old
  versions, and the final norm named ``norm`` instead of ``norm3`` in
  checkpoints of version 1.

The original Microsoft layout (``layers.*``) is rejected with a pointer to
mmseg's converter (its patch-merging weights need re-ordering).
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'swin_state_dict_from_checkpoint', 'resize_relative_position_tables',
    'check_state_dict_shapes'
]


def swin_state_dict_from_checkpoint(
        checkpoint: Mapping,
        num_stages: int,
        prefix: Optional[str] = None,
        source: str = 'checkpoint') -> Tuple[Dict[str, Tensor], List[str]]:
    """Extract backbone weights in mmseg ``SwinTransformer`` layout.

    Args:
        checkpoint: A loaded checkpoint: a state dict, or a dict holding one
            under ``'state_dict'`` or ``'model'``.
        num_stages: Number of Swin stages (the final norm is
            ``norm{num_stages - 1}``).
        prefix: Keep only keys under this prefix (e.g. ``'backbone.'``) and
            strip it. ``None`` strips ``'backbone.'`` if any key has it.
        source: Name of the checkpoint used in error messages.

    Returns:
        tuple: The converted state dict and the sorted list of keys that
        were dropped (non-backbone entries, ``attn_mask`` buffers).

    Raises:
        ValueError: If no key is under ``prefix`` or the checkpoint is in the
            original (unconverted) Swin layout.
    """
    if 'state_dict' in checkpoint:
        checkpoint = checkpoint['state_dict']
    elif 'model' in checkpoint:
        checkpoint = checkpoint['model']
    state_dict = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in checkpoint.items())

    if prefix is None and any(k.startswith('backbone.') for k in state_dict):
        prefix = 'backbone.'
    ignored = []
    if prefix:
        kept = OrderedDict()
        for k, v in state_dict.items():
            if k.startswith(prefix):
                kept[k[len(prefix):]] = v
            else:
                ignored.append(k)
        if not kept:
            raise ValueError(f'{source}: no key starts with prefix '
                             f'{prefix!r}')
        state_dict = kept

    if any(k.startswith('layers.') for k in state_dict):
        raise ValueError(
            f'{source} is in the original Swin layout (keys "layers.*"); '
            'convert it first with mmseg\'s '
            'tools/model_converters/swin2mmseg.py')

    final_norm = f'norm{num_stages - 1}'
    for name in ('weight', 'bias'):
        old = f'norm.{name}'
        if old in state_dict and f'{final_norm}.{name}' not in state_dict:
            state_dict[f'{final_norm}.{name}'] = state_dict.pop(old)

    for k in [k for k in state_dict if k.endswith('attn_mask')]:
        del state_dict[k]
        ignored.append(k)
    return state_dict, sorted(ignored)


def resize_relative_position_tables(
        state_dict: Dict[str, Tensor],
        model_state: Mapping[str, Tensor]) -> List[str]:
    """Bicubically resize relative position bias tables to the model's window.

    Same rule as mmseg's ``SwinTransformer.init_weights``: a table whose
    number of heads matches but whose length differs is interpolated. The
    matching ``relative_position_index`` buffer is dropped from the
    checkpoint (the model's own buffer is a function of its window size).
    Tables whose number of heads differs are left for
    :func:`check_state_dict_shapes` to report.

    Args:
        state_dict: Checkpoint weights, modified in place.
        model_state: The model's state dict (for target shapes).

    Returns:
        list[str]: Keys of the resized tables.
    """
    resized = []
    for key in [k for k in state_dict if 'relative_position_bias_table' in k]:
        if key not in model_state:
            continue
        table = state_dict[key]
        (len1, heads1), (len2, heads2) = table.shape, model_state[key].shape
        if heads1 != heads2 or len1 == len2:
            continue
        size1, size2 = int(len1**0.5), int(len2**0.5)
        table = F.interpolate(
            table.permute(1, 0).reshape(1, heads1, size1, size1),
            size=(size2, size2),
            mode='bicubic')
        state_dict[key] = table.view(heads2, len2).permute(1, 0).contiguous()
        state_dict.pop(
            key.replace('relative_position_bias_table',
                        'relative_position_index'), None)
        resized.append(key)
    return resized


def check_state_dict_shapes(state_dict: Mapping[str, Tensor],
                            model_state: Mapping[str, Tensor],
                            source: str = 'checkpoint') -> None:
    """Fail on any tensor whose shape differs from the model's.

    Args:
        state_dict: Checkpoint weights.
        model_state: The model's state dict.
        source: Name of the checkpoint used in the message.

    Raises:
        ValueError: Naming every mismatched key with both shapes.
    """
    mismatched = [
        f'{k!r}: checkpoint {tuple(v.shape)} vs model '
        f'{tuple(model_state[k].shape)}' for k, v in state_dict.items()
        if k in model_state and v.shape != model_state[k].shape
    ]
    if mismatched:
        raise ValueError(f'{source}: {len(mismatched)} tensor(s) do not fit '
                         'the model: ' + '; '.join(mismatched))
