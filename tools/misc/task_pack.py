"""Export a task added to a trained model as a pack; compose packs onto a base.

Export (the checkpoint of a model trained with ``frozen_tasks``, i.e. a
task added to a trained model; ``docs/design.md`` section 3.1)::

    python tools/misc/task_pack.py export CONFIG CHECKPOINT TASK OUT

writes the task's extraction, norms and head, a SHA-256 of the shared
weights it was trained on and its head config into ``OUT`` (a few kB to a
few MB; format: :mod:`mmvmt.apis.task_packs`).

Compose (the base model's config and checkpoint, any number of packs)::

    python tools/misc/task_pack.py compose CONFIG CHECKPOINT PACK [PACK ...] \\
        --out composed.pth --out-config composed.py

checks every pack against the base (same base tasks, bit-identical shared
weights, the task's entries and shapes) and writes one full checkpoint and
its config, which ``tools/test.py``, ``mmvmt.apis.MultiTaskInferencer`` and
mmseg's ``init_model`` take. A pack built on other frozen weights or other
shared adapters is refused with a message that says so.
"""
import argparse
import io
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmvmt  # noqa: F401  (registers modules, checkpoint compatibility)
from mmvmt.apis import load_inference_weights, resolve_config
from mmvmt.apis.task_packs import compose_model, save_task_pack
from mmvmt.utils.checkpoint_io import atomic_write_bytes

__all__ = ['parse_args', 'export', 'compose', 'main']

#: ``meta`` key of a composed checkpoint: where its weights came from.
COMPOSED_META_KEY = 'mmvmt_composed_from'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    exp = sub.add_parser('export', help='write one added task as a pack')
    exp.add_argument('config', help='config of the model with the task')
    exp.add_argument('checkpoint', help='its trained checkpoint')
    exp.add_argument('task', help='the added task to pack')
    exp.add_argument('out', help='pack file to write')
    comp = sub.add_parser(
        'compose', help='base checkpoint + packs -> one checkpoint')
    comp.add_argument('config', help='config of the base model')
    comp.add_argument('checkpoint', help='the base checkpoint')
    comp.add_argument('packs', nargs='+', help='task pack files')
    comp.add_argument(
        '--out', required=True, help='composed checkpoint to write')
    comp.add_argument(
        '--out-config',
        help='composed config to write (default: the '
        'checkpoint path with .py)')
    return parser.parse_args(argv)


def export(config: str, checkpoint: str, task: str, out: str) -> dict:
    """Load ``checkpoint`` strictly into ``config``'s model; pack ``task``.

    Returns:
        dict: The pack's meta.
    """
    cfg = resolve_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    model = MODELS.build(model_cfg)
    ckpt = load_inference_weights(model, checkpoint)
    if task not in cfg.model.decode_heads:
        raise ValueError(f'{config} has no head for task {task!r} (heads: '
                         f'{list(cfg.model.decode_heads)})')
    pack = save_task_pack(model, task, out, cfg.model.decode_heads[task],
                          (ckpt.get('meta') or {}).get('dataset_meta'))
    print(f'task pack of {task!r}: {len(pack["state_dict"])} tensors, '
          f'{sum(v.numel() for v in pack["state_dict"].values()):,} '
          f'parameters, {osp.getsize(out):,} bytes -> {out} (base tasks '
          f'{pack["meta"]["base_tasks"]}, shared SHA-256 '
          f'{pack["meta"]["shared_sha256"][:12]}...)')
    return pack['meta']


def compose(config: str,
            checkpoint: str,
            packs: Sequence[str],
            out: str,
            out_config: Optional[str] = None) -> str:
    """Compose base + packs; write the checkpoint and the config.

    Returns:
        str: The path of the written config.
    """
    model = compose_model(config, checkpoint, packs)
    meta = {COMPOSED_META_KEY: dict(checkpoint=checkpoint, packs=list(packs))}
    if model.dataset_meta:
        meta['dataset_meta'] = model.dataset_meta
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=model.state_dict()), buffer)
    atomic_write_bytes(buffer.getvalue(), out)
    out_config = out_config or osp.splitext(out)[0] + '.py'
    cfg: Config = model.cfg
    cfg.dump(out_config)
    print(f'composed {list(model.tasks)} from {checkpoint} and {len(packs)} '
          f'pack(s) -> {out}, config {out_config}')
    return out_config


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run ``export`` or ``compose`` (see the module docstring)."""
    args = parse_args(argv)
    if args.command == 'export':
        export(args.config, args.checkpoint, args.task, args.out)
    else:
        compose(args.config, args.checkpoint, args.packs, args.out,
                args.out_config)


if __name__ == '__main__':
    main()
