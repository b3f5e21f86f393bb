"""Check every checkpoint the runner loads; save trainable-only ones.

Loading (``load_from``, ``--resume``, ``tools/test.py``): the
``after_load_checkpoint`` step compares the checkpoint with the model before
mmengine loads it (mmengine loads with ``strict=False`` and only warns) and
refuses one that does not fit, with
:class:`~mmvmt.engine.checkpoint_fit.CheckpointMismatchError` listing the
missing, unexpected and shape-mismatched keys. ``strict=False``
(``tools/train.py`` / ``tools/test.py --partial-load``) loads what fits and
warns with the same list.

Trainable-only checkpoints: a VMT-Adapter model trains about 1% of the
backbone plus the decoders. With ``trainable_only=True`` the hook drops the
frozen weights from every saved checkpoint and stores in ``meta`` a SHA-256
of the frozen weights (:func:`~mmvmt.engine.checkpoint_fit.state_fingerprint`).
Such a checkpoint is loaded on top of the frozen weights the model's
``init_cfg`` gives (the pretrained backbone); the checksum must match, so a
model whose frozen backbone differs (a random one: no pretrained
``init_cfg``, or other pretrained weights) is refused instead of giving
meaningless numbers.
"""
import logging
from typing import Any, Callable, Dict, Iterable, Optional, Set

import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...models.mmseg_compat import (runner_checkpoint_path,
                                    runner_checkpoint_state)
from ...models.segmentors.frozen_tasks import starting_task_keys
from ..checkpoint_fit import (CheckpointMismatchError, find_misfits,
                              misfit_message, state_fingerprint)

__all__ = [
    'TrainableCheckpointHook', 'trainable_state_keys', 'check_checkpoint_fits',
    'configure_checkpoint_hook', 'pretrained_init', 'TRAINABLE_ONLY_META_KEY',
    'FROZEN_SHA256_META_KEY'
]

#: ``checkpoint['meta'][TRAINABLE_ONLY_META_KEY]`` is True for checkpoints
#: that hold only the trainable part of the model.
TRAINABLE_ONLY_META_KEY = 'mmvmt_trainable_only'
#: ``checkpoint['meta'][FROZEN_SHA256_META_KEY]``: checksum of the frozen
#: entries the trainable-only checkpoint leaves out.
FROZEN_SHA256_META_KEY = 'mmvmt_frozen_sha256'
#: How to switch the fit check off, for messages.
PARTIAL_LOAD_HINT = ('To load only the entries that fit on purpose (e.g. '
                     'a new head), pass --partial-load to tools/train.py or '
                     'tools/test.py (TrainableCheckpointHook(strict=False)).')


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


def pretrained_init(model: nn.Module) -> Optional[str]:
    """The pretrained checkpoint the backbone's ``init_cfg`` loads, if any.

    Args:
        model: The (unwrapped) segmentor.

    Returns:
        str | None: ``init_cfg['checkpoint']`` of a ``Pretrained`` init.
    """
    init_cfg = getattr(getattr(model, 'backbone', None), 'init_cfg', None)
    for cfg in init_cfg if isinstance(init_cfg, list) else [init_cfg]:
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            return cfg.get('checkpoint')
    return None


def _raise_mismatch(message: str) -> None:
    raise CheckpointMismatchError(message)


def check_checkpoint_fits(model: nn.Module,
                          checkpoint: Any,
                          path: str,
                          refuse: Callable[[str], None] = _raise_mismatch,
                          may_lack: Optional[Iterable[str]] = None) -> None:
    """Refuse a checkpoint that does not fit ``model``, before loading it.

    Every model key must be present (for a trainable-only checkpoint: every
    trainable key, and the frozen part is initialised first with
    ``model.init_weights()``), no key may be unexpected and shapes must be
    equal. A trainable-only checkpoint must also have been trained on the
    same frozen weights (SHA-256 stored in its meta). The runner's
    :class:`TrainableCheckpointHook` and ``mmvmt.apis`` both use this.

    Adding tasks (``docs/design.md`` section 3.1): an initialised model with
    ``frozen_tasks`` (training, ``load_from`` the trained model) accepts a
    checkpoint that lacks every entry of a task it trains; that task keeps
    its initialisation, which is logged.

    Args:
        model: The (unwrapped) model.
        checkpoint: The loaded checkpoint.
        path: Its file, for messages.
        refuse: Called with the message of each misfit; the default raises
            :class:`CheckpointMismatchError`.
        may_lack: Model keys the checkpoint may lack (the caller fills
            them, e.g. from task packs). None: only the rule above.
    """
    _check_is_state(checkpoint, path)
    state = runner_checkpoint_state(checkpoint)
    meta: Dict = {}
    if isinstance(checkpoint, dict):
        meta = checkpoint.get('meta', None) or {}
    trainable_only = meta.get(TRAINABLE_ONLY_META_KEY, False)
    absent = set(may_lack or ())
    starting = starting_task_keys(model, state)
    for keys in starting.values():
        absent.update(keys)
    trainable = required = None
    if trainable_only:
        _init_frozen(model, path)
        trainable = required = trainable_state_keys(model)
    if absent:
        required = set(model.state_dict() if required is None else required)
        required -= absent
    if starting:
        print_log(
            f'{path} holds no entry of task(s) {sorted(starting)}, which '
            'this model adds to the tasks of the checkpoint: they start '
            'from their initialisation (docs/design.md section 3.1).',
            logger='current')
    misfit = find_misfits(model.state_dict(), state, required)
    if misfit:
        refuse(misfit_message(path, misfit) + '\n' + PARTIAL_LOAD_HINT)
    if trainable_only:
        _check_frozen(model, path, meta, trainable, refuse)


def _check_is_state(checkpoint: Any, path: str) -> None:
    """A checkpoint is a state dict or a dict with a ``state_dict`` one.

    Raises:
        CheckpointMismatchError: Otherwise (whatever ``strict`` says:
            nothing of it can be loaded), naming the file and what it holds.
    """
    state = checkpoint
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state = checkpoint['state_dict']
    if not isinstance(state, dict):
        raise CheckpointMismatchError(
            f'checkpoint {path} holds a {type(state).__name__}, not a state '
            "dict (a dict of tensors, or a dict with one under "
            "'state_dict'): it is no model checkpoint")


def _init_frozen(model: nn.Module, path: str) -> None:
    """Initialise the frozen part (Runner.test()/val() do not)."""
    if getattr(model, '_is_init', False):
        return
    source = pretrained_init(model)
    what = (f'the pretrained backbone {source}'
            if source else 'a random init (no pretrained init_cfg)')
    print_log(
        f'{path} holds only trainable weights: initialising the '
        f'frozen part with {what} first.',
        logger='current')
    model.init_weights()


def _check_frozen(model: nn.Module, path: str, meta: Dict, trainable: Set[str],
                  refuse: Callable[[str], None]) -> None:
    """Check that the frozen weights are the ones trained on."""
    source = pretrained_init(model)
    frozen = [k for k in model.state_dict() if k not in trainable]
    no_source = (
        'The model has no pretrained backbone (model.backbone.init_cfg '
        'is None), so its frozen weights are random. Set '
        "model.backbone.init_cfg=dict(type='Pretrained', checkpoint=...) "
        'to the weights the checkpoint was trained on, or use a full '
        'checkpoint (train without --adapter-only).')
    expected = meta.get(FROZEN_SHA256_META_KEY)
    if expected is None:
        if source is None:
            refuse(f'{path} holds only trainable weights and no '
                   'checksum of the frozen ones. ' + no_source)
        else:
            print_log(
                f'{path} holds no checksum of the frozen weights: '
                f'cannot verify that {source} is the backbone it was '
                'trained on.',
                logger='current',
                level=logging.WARNING)
        return
    found = state_fingerprint(model.state_dict(), frozen)
    if found != expected:
        refuse(f'{path} holds only trainable weights, trained on frozen '
               f'weights with SHA-256 {expected[:12]}..., but the '
               f'{len(frozen)} frozen entries of this model have '
               f'SHA-256 {found[:12]}... (from '
               f'{source or "a random init"}). ' +
               (no_source if source is None else
                'Use the pretrained checkpoint the model was trained with, '
                'or a full checkpoint.'))


def configure_checkpoint_hook(cfg: Config,
                              trainable_only: Optional[bool] = None,
                              strict: Optional[bool] = None) -> None:
    """Make sure ``cfg.custom_hooks`` has the hook; set its arguments.

    Args:
        cfg: The full config (changed in place).
        trainable_only: New ``trainable_only`` (None: keep).
        strict: New ``strict`` (None: keep).
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    for hook in hooks:
        if hook.get('type') == 'TrainableCheckpointHook':
            break
    else:
        hook = dict(type='TrainableCheckpointHook')
        hooks.append(hook)
    if trainable_only is not None:
        hook['trainable_only'] = trainable_only
    if strict is not None:
        hook['strict'] = strict
    cfg.custom_hooks = hooks


@HOOKS.register_module()
class TrainableCheckpointHook(Hook):
    """Refuse checkpoints that do not fit; write trainable-only ones.

    See the module docstring. ``configs/_base_/default_runtime.py`` adds
    this hook to every mmvmt config.

    Args:
        trainable_only: Whether saved checkpoints hold only trainable
            entries. Defaults to False.
        strict: Whether a loaded checkpoint must fit the model exactly
            (every required key present, no unexpected key, equal shapes,
            and for trainable-only checkpoints the same frozen weights).
            With False, misfits are logged as a warning and the entries
            that fit are loaded. Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 trainable_only: bool = False,
                 strict: bool = True) -> None:
        self.trainable_only = trainable_only
        self.strict = strict
        self._warned_random_frozen = False

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _refuse(self, message: str) -> None:
        if self.strict:
            raise CheckpointMismatchError(message)
        print_log(
            message + '\nstrict=False (--partial-load): loading the entries '
            'that fit.',
            logger='current',
            level=logging.WARNING)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check ``checkpoint`` against the model before it is loaded."""
        check_checkpoint_fits(
            self._model(runner),
            checkpoint,
            runner_checkpoint_path(runner) or '(checkpoint)',
            refuse=self._refuse)

    def before_train(self, runner) -> None:
        """Refuse trainable-only saving where it could not be loaded back.

        With ``frozen_tasks`` (adding tasks to a trained model) the frozen
        part holds the trained tasks' weights, which the pretrained
        ``init_cfg`` does not restore, so such checkpoints would be refused
        on every load.

        Raises:
            ValueError: With ``trainable_only`` and frozen tasks.
        """
        frozen = getattr(self._model(runner), 'frozen_tasks', ())
        if self.trainable_only and frozen:
            raise ValueError(
                'trainable-only checkpoints (--adapter-only) cannot be '
                f'loaded back when model.frozen_tasks={list(frozen)}: the '
                "frozen part holds the trained tasks' weights, which the "
                'pretrained init_cfg does not restore. Save full checkpoints '
                'and ship the new task as a task pack '
                '(tools/misc/task_pack.py export)')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Drop frozen entries; store their checksum in ``meta``."""
        if not self.trainable_only:
            return
        model = self._model(runner)
        keep = trainable_state_keys(model)
        state = checkpoint['state_dict']
        dropped = [k for k in state if k not in keep]
        meta = checkpoint.setdefault('meta', {})
        meta[FROZEN_SHA256_META_KEY] = state_fingerprint(state, dropped)
        meta[TRAINABLE_ONLY_META_KEY] = True
        checkpoint['state_dict'] = type(state)(
            (k, v) for k, v in state.items() if k in keep)
        if pretrained_init(model) is None and not self._warned_random_frozen:
            self._warned_random_frozen = True
            print_log(
                'saving trainable-only checkpoints of a model without a '
                'pretrained backbone (model.backbone.init_cfg is None): its '
                'frozen weights are random and not saved, so these '
                'checkpoints load only into a model with the same frozen '
                'weights; train without --adapter-only to keep them.',
                logger='current',
                level=logging.WARNING)
