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

Prefixes are handled here rather than with mmengine's ``revise_keys``: that
only renames keys inside ``_load_checkpoint_to_model``, whose loader merely
warns on shape mismatches, and it cannot report the entries it drops.
"""
import logging
from collections import OrderedDict
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence,
                    Tuple)

import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'swin_state_dict_from_checkpoint', 'resize_relative_position_tables',
    'pretrained_load_report'
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
    Tables whose number of heads differs are left as they are: loading them
    fails with torch's size-mismatch error, which names the key and both
    shapes.

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


def pretrained_load_report(
    owner: str,
    source: str,
    result: Any,
    num_tensors: int,
    ignored: Sequence[str] = (),
    resized: Sequence[str] = (),
    expected_missing: Optional[Callable[[str], bool]] = None
) -> List[Tuple[int, str]]:
    """Log records that sum up loading a converted Swin checkpoint.

    Args:
        owner: Name of the loading module (prefix of every message).
        source: Name of the checkpoint.
        result: What ``load_state_dict(..., strict=False)`` returned (its
            ``missing_keys`` and ``unexpected_keys``).
        num_tensors: Number of entries of the converted state dict.
        ignored: Keys dropped by :func:`swin_state_dict_from_checkpoint`.
        resized: Keys resized by :func:`resize_relative_position_tables`.
        expected_missing: Model keys no Swin checkpoint holds (e.g. the
            added adapters); ``relative_position_index`` buffers are always
            expected (they follow from the window size).

    Returns:
        list[tuple[int, str]]: ``(logging level, message)`` pairs: warnings
        for missing and unexpected keys, infos for ignored entries, resized
        tables and the number of tensors loaded.
    """
    missing = [
        k for k in result.missing_keys
        if not k.endswith('relative_position_index')
        and not (expected_missing is not None and expected_missing(k))
    ]
    unexpected = list(result.unexpected_keys)
    warnings, infos = [], []
    if missing:
        warnings.append(f'{len(missing)} pretrained weight(s) missing in '
                        f'{source}, left at their initialisation: {missing}')
    if unexpected:
        warnings.append(f'{len(unexpected)} unexpected key(s) in {source} '
                        f'were ignored: {unexpected}')
    if ignored:
        infos.append(f'skipped {len(ignored)} non-backbone entries of '
                     f'{source}: {list(ignored)}')
    if resized:
        infos.append(f'resized relative position tables {list(resized)}')
    infos.append(f'loaded {num_tensors - len(unexpected)} tensors from '
                 f'{source}')
    records = [(logging.WARNING, f'{owner}: {m}') for m in warnings]
    records += [(logging.INFO, f'{owner}: {m}') for m in infos]
    return records
