"""Save (and load back) checkpoints that hold only the trained parameters.

A VMT-Adapter model trains about 1% of the backbone plus the decoders; the
frozen pretrained backbone is the same in every checkpoint. With
``trainable_only=True`` the hook drops the frozen weights from every saved
checkpoint (and marks the checkpoint in ``meta``); such a checkpoint is loaded
on top of the pretrained backbone given by the model's ``init_cfg``.
"""
from typing import Dict, Optional, Set

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader
from mmseg.registry import HOOKS

from ...models.mmseg_compat import runner_load_from

__all__ = [
    'TrainableCheckpointHook', 'trainable_state_keys',
    'TRAINABLE_ONLY_META_KEY'
]

#: ``checkpoint['meta'][TRAINABLE_ONLY_META_KEY]`` is True for checkpoints
#: that hold only the trainable part of the model.
TRAINABLE_ONLY_META_KEY = 'mmvmt_trainable_only'


def trainable_state_keys(model: nn.Module) -> Set[str]:
    """Names of the ``state_dict`` entries that training can change.

    A parameter is kept when it requires gradients. A persistent buffer is
    kept unless the module that owns it has parameters and all of them are
    frozen: BatchNorm statistics of trainable decoders stay, buffers of
    frozen pretrained modules (frozen BatchNorm statistics, Swin's relative
    position index) are dropped, as the pretrained checkpoint restores them.
    Buffers of parameter-free modules are kept, since nothing marks them as
    frozen.

    Args:
        model: The (unwrapped) model.

    Returns:
        set[str]: Keys of ``model.state_dict()`` to keep.
    """
    keys = set()
    for mod_name, module in model.named_modules():
        prefix = f'{mod_name}.' if mod_name else ''
        params = list(module.named_parameters(recurse=False))
        for name, param in params:
            if param.requires_grad:
                keys.add(prefix + name)
        owner_frozen = bool(params) and not any(p.requires_grad
                                                for _, p in params)
        if not owner_frozen:
            for name, buf in module.named_buffers(recurse=False):
                if buf is not None and name not in \
                        module._non_persistent_buffers_set:
                    keys.add(prefix + name)
    return keys


@HOOKS.register_module()
class TrainableCheckpointHook(Hook):
    """Write trainable-only checkpoints and initialise the frozen part first.

    Saving: with ``trainable_only=True``, ``before_save_checkpoint`` keeps
    only :func:`trainable_state_keys` in ``checkpoint['state_dict']``.

    Loading: ``Runner.test()``/``val()`` do not initialise model weights, so a
    trainable-only checkpoint alone would leave the frozen backbone random.
    ``before_run`` therefore runs ``model.init_weights()`` (loading the
    pretrained backbone from ``init_cfg``) when ``load_from`` points at a
    trainable-only checkpoint and the weights were not initialised yet.

    Args:
        trainable_only: Whether saved checkpoints hold only trainable
            entries. Defaults to False (the hook then only handles loading).
    """

    priority = 'VERY_LOW'

    def __init__(self, trainable_only: bool = False) -> None:
        self.trainable_only = trainable_only

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_run(self, runner) -> None:
        """Initialise the frozen weights before a trainable-only load."""
        load_from: Optional[str] = runner_load_from(runner)
        model = self._model(runner)
        if not load_from or getattr(model, '_is_init', False):
            return
        checkpoint = CheckpointLoader.load_checkpoint(
            load_from, map_location='cpu')
        meta: Dict = checkpoint.get('meta', {}) if isinstance(
            checkpoint, dict) else {}
        if meta.get(TRAINABLE_ONLY_META_KEY, False):
            print_log(
                f'{load_from} holds only trainable weights: initialising '
                'the frozen part from the model init_cfg first.',
                logger='current')
            model.init_weights()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Drop frozen entries from ``checkpoint['state_dict']``."""
        if not self.trainable_only:
            return
        keep = trainable_state_keys(self._model(runner))
        state = checkpoint['state_dict']
        checkpoint['state_dict'] = type(state)(
            (k, v) for k, v in state.items() if k in keep)
        checkpoint.setdefault('meta', {})[TRAINABLE_ONLY_META_KEY] = True
