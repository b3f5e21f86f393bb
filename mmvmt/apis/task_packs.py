"""Task packs: one added task in a small file, composed onto a base model.

A task added to a trained VMT model (``docs/design.md`` section 3.1) owns
its extraction in every block, its output norms and its decode head; its
features depend on nothing else but the *shared* entries (the frozen Swin,
the shared adapters and the base tasks' extraction, which defines
``e_bar``). A pack stores the task's own entries and a SHA-256 of the
shared ones it was trained on
(:func:`~mmvmt.engine.checkpoint_fit.state_fingerprint`, as trainable-only
checkpoints do for the frozen weights), so it is refused on any other base
model. Packs of tasks trained separately on the same base compose: every
added task is computed on its own, so a model composed of a base checkpoint
and packs gives each task bit for bit the predictions of the model it was
trained in.

File (``torch.save``; read with ``weights_only=True``)::

    {'meta': {'mmvmt_task_pack': 1,          # format version
              'task': 'sal',
              'base_tasks': ['semseg', 'normals'],
              'shared_sha256': '...', 'shared_entries': 372,
              'head_cfg': {...},             # the task's decode head config
              'dataset_meta': {...},         # the task's entries of the
                                             # checkpoint's dataset meta
              'mmvmt_version': '...'},
     'state_dict': {'decode_heads.sal.*', 'backbone.task_norms.sal.*',
                    'backbone.stages.*.adapter.added_extraction.sal.*'}}

``tools/misc/task_pack.py`` exports packs and composes models with these
functions.
"""
import copy
import io
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from ..engine.checkpoint_fit import (CheckpointMismatchError, find_misfits,
                                     misfit_message, state_fingerprint)
from ..engine.hooks.trainable_checkpoint_hook import check_checkpoint_fits
from ..models.segmentors.frozen_tasks import shared_state_keys, task_state_keys
from ..utils.checkpoint_io import atomic_write_bytes
from ..version import __version__
from .inferencer import resolve_config
from .weights import checkpoint_state_dict, read_checkpoint

__all__ = [
    'PACK_FORMAT_KEY', 'PACK_VERSION', 'TaskPackMismatchError',
    'shared_fingerprint', 'build_task_pack', 'save_task_pack',
    'read_task_pack', 'check_task_pack', 'load_task_packs', 'compose_config',
    'compose_model'
]

#: ``pack['meta'][PACK_FORMAT_KEY]``: the format version of a task pack.
PACK_FORMAT_KEY = 'mmvmt_task_pack'
PACK_VERSION = 1
#: The dataloaders whose ``dataset.tasks`` :func:`compose_config` extends.
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

Pack = Dict[str, dict]
PackLike = Union[str, Pack]


class TaskPackMismatchError(CheckpointMismatchError):
    """A task pack does not fit the model (other base, task or shapes)."""


def _base_tasks(model: nn.Module) -> tuple:
    return tuple(getattr(model.backbone, 'base_tasks', ()) or ())


def shared_fingerprint(model: nn.Module) -> str:
    """SHA-256 of the model's shared entries (:func:`shared_state_keys`).

    Args:
        model: A ``MultiTaskEncoderDecoder``.

    Returns:
        str: Hex digest.
    """
    return state_fingerprint(model.state_dict(), shared_state_keys(model))


def _plain(value):
    """A config value as plain dicts, lists and scalars (for the file)."""
    if isinstance(value, (Config, ConfigDict)):
        value = value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def build_task_pack(model: nn.Module,
                    task: str,
                    head_cfg: Mapping,
                    dataset_meta: Optional[Mapping] = None) -> Pack:
    """The pack of one added task of ``model`` (see the module docstring).

    Args:
        model: A ``MultiTaskEncoderDecoder`` with a backbone that has
            ``base_tasks`` (``VMTSwinTransformer``), holding the trained
            weights.
        task: An added task of the model (not a base task).
        head_cfg: The task's decode head config (written into the pack so
            :func:`compose_config` can rebuild the head).
        dataset_meta: The checkpoint's dataset meta; the task's entries of
            its per-task dicts (``task_classes``, ``task_palettes``) go into
            the pack.

    Returns:
        dict: The pack (tensors cloned to the CPU).

    Raises:
        ValueError: If ``task`` is not an added task of the model.
    """
    base = _base_tasks(model)
    if not base:
        raise ValueError(
            f'{type(model.backbone).__name__} has no base_tasks: only '
            'tasks added to a trained VMTSwinTransformer model can be packed')
    if task not in model.tasks or task in base:
        raise ValueError(
            f'task {task!r} cannot be packed: packs hold tasks added to a '
            f'trained model, and the added tasks of this model are '
            f'{[t for t in model.tasks if t not in base]} (base tasks '
            f'{list(base)}, whose extraction is shared: it defines e_bar)')
    state = model.state_dict()
    shared = shared_state_keys(model)
    task_meta = {
        key: {
            task: _plain(value[task])
        }
        for key, value in (dataset_meta or {}).items()
        if isinstance(value, Mapping) and task in value
    }
    meta = {
        PACK_FORMAT_KEY: PACK_VERSION,
        'task': task,
        'base_tasks': list(base),
        'shared_sha256': state_fingerprint(state, shared),
        'shared_entries': len(shared),
        'head_cfg': _plain(head_cfg),
        'dataset_meta': task_meta,
        'mmvmt_version': __version__,
    }
    return dict(
        meta=meta,
        state_dict={
            k: state[k].detach().cpu().clone()
            for k in task_state_keys(model, task)
        })


def save_task_pack(model: nn.Module,
                   task: str,
                   path: str,
                   head_cfg: Mapping,
                   dataset_meta: Optional[Mapping] = None) -> Pack:
    """Write the pack of ``task`` to ``path`` (atomically).

    The bytes are read back with ``weights_only=True`` before they are
    written, so a pack that could not be loaded safely is never written.

    Args:
        model, task, head_cfg, dataset_meta: See :func:`build_task_pack`.
        path: Destination file.

    Returns:
        dict: The pack.

    Raises:
        ValueError: See :func:`build_task_pack`; also if the head config
            holds objects ``weights_only`` loading refuses.
        OSError: If writing fails (the message names ``path``).
    """
    pack = build_task_pack(model, task, head_cfg, dataset_meta)
    buffer = io.BytesIO()
    torch.save(pack, buffer)
    try:
        torch.load(
            io.BytesIO(buffer.getvalue()),
            map_location='cpu',
            weights_only=True)
    except Exception as err:
        raise ValueError(f'task pack of {task!r} for {path} cannot be loaded '
                         f'with weights_only=True: {err}') from err
    atomic_write_bytes(buffer.getvalue(), path)
    return pack


def read_task_pack(path: str) -> Pack:
    """Read a task pack with ``torch.load(weights_only=True)``.

    Args:
        path: The pack file.

    Returns:
        dict: The pack.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it is not a readable task pack of this format (the
            message names the file and what is wrong).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'task pack {path} does not exist')
    try:
        pack = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:
        raise ValueError(f'cannot read task pack {path}: '
                         f'{type(err).__name__}: {err}') from err
    meta = pack.get('meta') if isinstance(pack, dict) else None
    if not isinstance(meta, dict) or PACK_FORMAT_KEY not in meta:
        raise ValueError(
            f'{path} is not a task pack (no {PACK_FORMAT_KEY!r} in its '
            "meta); tools/misc/task_pack.py export writes packs")
    if meta[PACK_FORMAT_KEY] != PACK_VERSION:
        raise ValueError(f'task pack {path} has format version '
                         f'{meta[PACK_FORMAT_KEY]!r}; this mmvmt reads '
                         f'version {PACK_VERSION}')
    missing = [
        k for k in ('task', 'base_tasks', 'shared_sha256', 'head_cfg')
        if k not in meta
    ]
    state = pack.get('state_dict')
    if missing or not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'task pack {path} is incomplete: meta lacks '
                         f'{missing} or the state dict of tensors is empty')
    return pack


def _name(pack: Pack, name: Optional[str]) -> str:
    return name or f'(task pack of {pack["meta"]["task"]!r})'


def check_task_pack(model: nn.Module,
                    pack: Pack,
                    name: Optional[str] = None,
                    fingerprint: Optional[str] = None) -> None:
    """Refuse a pack that does not fit ``model``.

    The model must have the pack's task as an added task on the same base
    tasks, its shared entries must be bit-identical to those the pack was
    trained on (SHA-256), and the pack must hold exactly the task's entries
    with the model's shapes.

    Args:
        model: The model, with its base weights loaded.
        pack: A pack (:func:`read_task_pack`).
        name: The pack's file, for messages.
        fingerprint: :func:`shared_fingerprint` of the model if already
            computed.

    Raises:
        TaskPackMismatchError: If the pack does not fit; the message says
            why.
    """
    meta, name = pack['meta'], _name(pack, name)
    task = meta['task']
    if task not in model.tasks:
        raise TaskPackMismatchError(
            f'task pack {name}: the model has no task {task!r} (tasks '
            f'{list(model.tasks)}); compose_config adds its head')
    base = _base_tasks(model)
    if list(base) != list(meta['base_tasks']) or task in base:
        raise TaskPackMismatchError(
            f'task pack {name} adds {task!r} to base tasks '
            f'{list(meta["base_tasks"])}, but the model has base tasks '
            f'{list(base)} (model.backbone.base_tasks)')
    found = fingerprint or shared_fingerprint(model)
    if found != meta['shared_sha256']:
        raise TaskPackMismatchError(
            f'task pack {name} (task {task!r}) was trained on shared weights '
            f'with SHA-256 {meta["shared_sha256"][:12]}... (frozen backbone, '
            "shared adapters and the base tasks' extraction), but this "
            f'model\'s {len(shared_state_keys(model))} shared entries have '
            f'SHA-256 {found[:12]}...: the pack belongs to another base '
            'model. Compose it onto the base checkpoint it was trained from')
    keys = task_state_keys(model, task)
    state = model.state_dict()
    misfit = find_misfits({k: state[k] for k in keys}, pack['state_dict'])
    if misfit:
        raise TaskPackMismatchError(misfit_message(name, misfit))


def load_task_packs(model: nn.Module,
                    packs: Sequence[PackLike],
                    names: Optional[Sequence[str]] = None) -> List[Pack]:
    """Check packs against ``model`` and load them (all or none).

    Args:
        model: The model, with its base weights loaded.
        packs: Pack files or packs.
        names: Names of the packs for messages (default: the paths).

    Returns:
        list[dict]: The packs.

    Raises:
        FileNotFoundError, ValueError: See :func:`read_task_pack`; also for
            two packs of one task.
        TaskPackMismatchError: See :func:`check_task_pack`.
    """
    packs, names = _read_all(packs, names)
    fingerprint = shared_fingerprint(model)
    for pack, name in zip(packs, names):
        check_task_pack(model, pack, name, fingerprint)
    merged = model.state_dict()
    for pack in packs:
        merged.update(pack['state_dict'])
    model.load_state_dict(merged, strict=True)
    return packs


def _read_all(packs: Sequence[PackLike],
              names: Optional[Sequence[str]]) -> tuple:
    """Read the packs given as files; check there is one pack per task."""
    names = list(names) if names is not None else [
        p if isinstance(p, str) else None for p in packs
    ]
    packs = [read_task_pack(p) if isinstance(p, str) else p for p in packs]
    tasks = [p['meta']['task'] for p in packs]
    duplicates = sorted({t for t in tasks if tasks.count(t) > 1})
    if duplicates:
        raise ValueError(f'task packs: more than one pack of task(s) '
                         f'{duplicates}')
    return packs, [_name(p, n) for p, n in zip(packs, names)]


def compose_config(cfg: Union[str, Config, dict],
                   packs: Sequence[PackLike]) -> Config:
    """The base model's config with the packs' tasks added.

    Each pack's task gets its decode head (the pack's ``head_cfg``) and
    joins the dataloaders' ``dataset.tasks``; the backbone's
    ``base_tasks`` become the packs' base tasks and ``frozen_tasks`` is
    dropped (the composed model is for inference; as a ``_base_`` for
    adding more tasks, set ``frozen_tasks`` again).

    Args:
        cfg: The config of the base checkpoint's model (file, name of
            ``configs/vmt`` or config).
        packs: Pack files or packs.

    Returns:
        Config: A new config.

    Raises:
        ValueError: If the packs disagree on the base tasks, the config
            lacks one of them, or already has a head for a pack's task.
    """
    cfg = resolve_config(cfg)
    packs, names = _read_all(packs, None)
    heads = cfg.model.decode_heads
    bases = {tuple(p['meta']['base_tasks']) for p in packs}
    if len(bases) > 1:
        raise ValueError(f'task packs {names} were trained on different '
                         f'base tasks {sorted(bases)}')
    for pack, name in zip(packs, names):
        task = pack['meta']['task']
        missing = [t for t in pack['meta']['base_tasks'] if t not in heads]
        if missing:
            raise ValueError(
                f'task pack {name} needs base task(s) {missing}, which the '
                f'config has no head for (heads: {list(heads)})')
        if task in heads:
            raise ValueError(
                f'the config already has a head for {task!r}; compose task '
                f'pack {name} onto the config of the model it extends')
        heads[task] = copy.deepcopy(pack['meta']['head_cfg'])
    if packs:
        cfg.model.backbone.base_tasks = tuple(packs[0]['meta']['base_tasks'])
        cfg.model.pop('frozen_tasks', None)
        cfg.model.backbone.pop('frozen_tasks', None)
    added = [p['meta']['task'] for p in packs]
    for loader in LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        if dataset.get('tasks'):
            dataset['tasks'] = tuple(dataset['tasks']) + tuple(added)
    return cfg


def compose_model(cfg: Union[str, Config, dict],
                  checkpoint: str,
                  packs: Sequence[PackLike],
                  device: str = 'cpu') -> nn.Module:
    """Build the base model with the packs' tasks; load base and packs.

    The base checkpoint (full or trainable-only) is checked as
    :func:`~mmvmt.apis.weights.load_inference_weights` checks it, except
    that it may lack the packs' tasks; then each pack is checked against
    the loaded shared weights (:func:`check_task_pack`) and loaded.

    Args:
        cfg: The config of the base checkpoint's model.
        checkpoint: The base checkpoint.
        packs: Pack files or packs.
        device: Where the model goes.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` (the composed
        config) and ``dataset_meta`` (the base checkpoint's, with the
        packs' tasks) attributes.

    Raises:
        FileNotFoundError, ValueError: For unreadable files or configs that
            cannot take the packs.
        CheckpointMismatchError: If the base checkpoint does not fit.
        TaskPackMismatchError: If a pack does not fit the base.
    """
    packs, names = _read_all(packs, None)
    cfg = compose_config(cfg, packs)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('pretrained', None)
    model_cfg['train_cfg'] = None
    model = MODELS.build(model_cfg)
    base = read_checkpoint(checkpoint)
    state = checkpoint_state_dict(base, checkpoint)
    pack_keys = [
        k for p in packs for k in task_state_keys(model, p['meta']['task'])
    ]
    check_checkpoint_fits(
        model, dict(base, state_dict=state), checkpoint, may_lack=pack_keys)
    model.load_state_dict(state, strict=False)
    load_task_packs(model, packs, names)
    model.cfg = cfg
    model.dataset_meta = _composed_dataset_meta(
        (base.get('meta') or {}).get('dataset_meta'), packs, model.tasks)
    return model.to(device).eval()


def _composed_dataset_meta(meta: Optional[Mapping], packs: Sequence[Pack],
                           tasks: Sequence[str]) -> Optional[dict]:
    """The base checkpoint's dataset meta with the packs' task entries."""
    if not meta:
        return None
    meta = copy.deepcopy(dict(meta))
    for pack in packs:
        for key, value in (pack['meta'].get('dataset_meta') or {}).items():
            meta[key] = dict(meta.get(key) or {}, **value)
    meta['tasks'] = tuple(tasks)
    return meta
