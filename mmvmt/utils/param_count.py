"""Break a multi-task model's parameters down into groups that add up.

Used by ``tools/analysis_tools/count_params.py`` (and the metafile numbers).
Groups, by parameter name:

* ``backbone.pretrained``: the backbone's own (stock Swin) weights;
* ``backbone.adapters``: shared adapter weights (down/up projections,
  biases, scales) — everything under ``.adapter.`` except the extraction;
* ``backbone.extraction``: per-task knowledge extraction
  (``.adapter.extraction.``, and ``.adapter.added_extraction.`` of tasks
  added to a trained model);
* ``backbone.task_norms``: per-task output norms (``backbone.task_norms.``);
* ``backbone.peft``: modules a ``PEFTBackbone`` method adds
  (``backbone.peft.``: LoRA, series adapters);
* ``backbone.task_tuned``: per-task copies of pretrained parameters a
  per-task ``PEFTBackbone`` method trains (``backbone.task_tuned.``);
* ``neck``, ``head.<task>`` and ``other``.

Every parameter falls in exactly one group, so the group totals add up to
``sum(p.numel() for p in model.parameters())``.

This module imports :mod:`mmvmt.models`, so :mod:`mmvmt.utils` does not
import it (``mmvmt.utils`` is imported first of all by ``mmvmt``): import it
as ``from mmvmt.utils.param_count import count_parameters``.
"""
from collections import OrderedDict
from typing import Dict

import torch.nn as nn

from ..models.backbones.vmt_swin import (ADAPTER_KEY, ADDED_EXTRACTION_KEY,
                                         TASK_NORMS_KEY)

__all__ = ['group_of', 'count_parameters']

EXTRACTION_KEY = f'{ADAPTER_KEY}extraction.'
TASK_NORMS_PREFIX = f'backbone.{TASK_NORMS_KEY}'
#: Groups of ``PEFTBackbone`` entries, by name prefix.
PEFT_PREFIXES = (('backbone.peft.', 'backbone.peft'), ('backbone.task_tuned.',
                                                       'backbone.task_tuned'))


def group_of(name: str) -> str:
    """Return the group of a parameter from its full name.

    Args:
        name: Parameter name relative to the segmentor.

    Returns:
        str: The group name (see module docstring).
    """
    if name.startswith('backbone.'):
        if EXTRACTION_KEY in name or ADDED_EXTRACTION_KEY in name:
            return 'backbone.extraction'
        if ADAPTER_KEY in name:
            return 'backbone.adapters'
        if name.startswith(TASK_NORMS_PREFIX):
            return 'backbone.task_norms'
        for prefix, group in PEFT_PREFIXES:
            if name.startswith(prefix):
                return group
        return 'backbone.pretrained'
    if name.startswith('decode_heads.'):
        return 'head.' + name.split('.')[1]
    if name.startswith('neck.'):
        return 'neck'
    return 'other'


def count_parameters(model: nn.Module) -> Dict[str, Dict[str, int]]:
    """Count trainable and frozen parameters per group.

    Args:
        model: A segmentor (``backbone``/``decode_heads`` naming).

    Returns:
        dict: ``group -> {'trainable': n, 'frozen': n}`` in a stable order,
        plus a ``'total'`` entry. The totals equal the sum over
        ``model.parameters()`` (shared parameters counted once).
    """
    counts: Dict[str, Dict[str, int]] = OrderedDict()
    for name, param in model.named_parameters():
        group = counts.setdefault(
            group_of(name), {
                'trainable': 0,
                'frozen': 0
            })
        group['trainable' if param.requires_grad else 'frozen'] += \
            param.numel()
    ordered = OrderedDict(sorted(counts.items()))
    ordered['total'] = {
        key: sum(group[key] for group in counts.values())
        for key in ('trainable', 'frozen')
    }
    return ordered
