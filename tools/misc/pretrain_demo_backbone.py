"""Pretrain the demo Swin on the synthetic source set and ship its weights.

``make pretrain-demo`` runs this with the defaults. It

1. writes the seeded source set (:mod:`mmvmt.testing.demo_data.source`)
   under ``--data-root`` unless it is already there with the requested
   size;
2. trains ``configs/pretrain_demo/swin-demo_source-seg.py`` (an mmseg
   ``EncoderDecoder``: the demo Swin of ``configs/_base_/models/
   swin-demo.py`` and a ``SegformerHead``) with mmengine's ``Runner``;
3. evaluates it on the source val split, and
4. exports the backbone alone in mmseg's ``SwinTransformer`` layout
   (``backbone.*`` keys under ``state_dict``; floating tensors in
   ``--dtype``, float16 by default, which every loader casts back exactly)
   to ``--out`` (atomically), with ``<out>.json`` beside it: the command,
   seeds, sizes, time, source mIoU, versions and the file's SHA-256.

Example::

    python tools/misc/pretrain_demo_backbone.py
    python tools/misc/pretrain_demo_backbone.py --max-iters 200 \\
        --out work_dirs/try.pth
"""
import argparse
import glob
import hashlib
import io
import json
import os.path as osp
import platform
import subprocess
import sys
import time
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import mmengine
import mmseg
import torch
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

import mmvmt  # noqa: F401  (registers SafeCheckpointHook)
from mmvmt.testing.demo_data.source import (SOURCE_CLASSES, SOURCE_NUM_TRAIN,
                                            SOURCE_NUM_VAL,
                                            generate_source_set)
from mmvmt.utils.checkpoint_io import atomic_write_bytes

DEFAULT_CONFIG = 'configs/pretrain_demo/swin-demo_source-seg.py'
DTYPES = dict(float16=torch.float16, float32=torch.float32)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Pretrain the demo Swin on the synthetic source set')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--data-root', help='source set folder (default: the config\'s)')
    parser.add_argument('--work-dir', default='work_dirs/pretrain_demo')
    parser.add_argument(
        '--out',
        help='weights file (default: the config\'s demo_swin_checkpoint)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the data and training')
    parser.add_argument('--num-train', type=int, default=SOURCE_NUM_TRAIN)
    parser.add_argument('--num-val', type=int, default=SOURCE_NUM_VAL)
    parser.add_argument(
        '--max-iters', type=int, help='training iterations (default: config)')
    parser.add_argument(
        '--dtype',
        choices=sorted(DTYPES),
        default='float16',
        help='dtype of the exported floating tensors')
    return parser.parse_args(argv)


def _count_images(data_root: str, split: str) -> int:
    return len(glob.glob(osp.join(data_root, 'img_dir', split, '*.jpg')))


def prepare_source_set(data_root: str, num_train: int, num_val: int,
                       seed: int) -> str:
    """Write the source set unless ``data_root`` already holds it.

    Returns:
        str: What was done, for the log.

    Raises:
        FileExistsError: If ``data_root`` holds another number of images
            (a set of other options); the message says what to remove.
    """
    found = (_count_images(data_root,
                           'train'), _count_images(data_root, 'val'))
    if found == (num_train, num_val):
        return f'using the source set in {data_root} ({found[0]} train / ' \
            f'{found[1]} val)'
    if any(found):
        raise FileExistsError(
            f'{data_root} holds {found[0]} train / {found[1]} val source '
            f'images, not the requested {num_train} / {num_val}: remove the '
            'folder (or pass --data-root) to write a new set')
    start = time.perf_counter()
    generate_source_set(data_root, num_train, num_val, seed=seed)
    return (f'wrote the source set to {data_root} ({num_train} train / '
            f'{num_val} val) in {time.perf_counter() - start:.1f} s')


def configure(cfg: Config, args: argparse.Namespace, data_root: str) -> None:
    """Apply the command-line options to the pretraining config."""
    cfg.work_dir = args.work_dir
    cfg.randomness = dict(seed=args.seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    max_iters = args.max_iters or cfg.train_cfg.max_iters
    if max_iters < 1:
        raise ValueError(f'--max-iters must be positive, got {max_iters}')
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters  # evaluated once, at the end
    cfg.default_hooks.checkpoint.interval = max_iters
    for scheduler in cfg.param_scheduler:
        scheduler.end = min(scheduler.end, max_iters)
        scheduler.begin = min(scheduler.begin, max(max_iters - 1, 0))


def backbone_state_dict(model: torch.nn.Module,
                        dtype: torch.dtype) -> Dict[str, torch.Tensor]:
    """The backbone's weights under ``backbone.``, floats cast to dtype."""
    if is_model_wrapper(model):
        model = model.module
    return OrderedDict(
        (f'backbone.{k}', v.detach().to(dtype).clone() if v.is_floating_point(
        ) else v.detach().clone())
        for k, v in model.backbone.state_dict().items())


def val_metrics(runner: Runner) -> Dict[str, float]:
    """The metrics of the validation run at the end of training."""
    names = ('aAcc', 'mIoU', 'mAcc')
    scalars = runner.message_hub.log_scalars
    found = {
        name: float(scalars[f'val/{name}'].current())
        for name in names if f'val/{name}' in scalars
    }
    if not found:
        raise RuntimeError('the source validation at the end of training '
                           'logged no metric')
    return found


def _git(*args: str) -> str:
    try:
        out = subprocess.run(['git', *args],
                             capture_output=True,
                             text=True,
                             check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the pretraining; returns the exit status."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if tuple(cfg.source_classes) != SOURCE_CLASSES:
        raise ValueError(f'{args.config}: source_classes differ from '
                         'mmvmt.testing.demo_data.source.SOURCE_CLASSES')
    data_root = args.data_root or cfg.data_root
    out = args.out or cfg.demo_swin_checkpoint
    print(
        prepare_source_set(data_root, args.num_train, args.num_val, args.seed))
    configure(cfg, args, data_root)

    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    metrics = val_metrics(runner)
    state_dict = backbone_state_dict(runner.model, DTYPES[args.dtype])

    meta = dict(
        command=' '.join(['python', 'tools/misc/pretrain_demo_backbone.py'] +
                         list(sys.argv[1:] if argv is None else argv)),
        config=args.config,
        arch=dict(cfg.demo_swin_arch),
        dtype=args.dtype,
        source_set=dict(
            generator='mmvmt.testing.demo_data.source.generate_source_set',
            num_train=args.num_train,
            num_val=args.num_val,
            seed=args.seed,
            classes=list(SOURCE_CLASSES)),
        training=dict(
            seed=args.seed,
            max_iters=cfg.train_cfg.max_iters,
            batch_size=cfg.train_dataloader.batch_size,
            crop_size=list(cfg.crop_size),
            seconds=round(train_seconds, 1),
            torch_threads=torch.get_num_threads(),
            machine=f'{platform.machine()}, {platform.processor() or "cpu"}'),
        source_val=metrics,
        # str(): torch.__version__ is a TorchVersion, which a weights_only
        # load refuses.
        versions=dict(
            torch=str(torch.__version__),
            mmengine=str(mmengine.__version__),
            mmseg=str(mmseg.__version__)),
        git_commit=_git('rev-parse', 'HEAD'),
        # uncommitted changes in the tree the weights were made with
        git_dirty=_git('status', '--porcelain', '--untracked-files=no') != '',
        created=time.strftime('%Y-%m-%d %H:%M:%S %Z'))
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=state_dict), buffer)
    data = buffer.getvalue()
    atomic_write_bytes(data, out)
    meta['sha256'] = hashlib.sha256(data).hexdigest()
    meta['bytes'] = len(data)
    atomic_write_bytes((json.dumps(meta, indent=2) + '\n').encode(),
                       osp.splitext(out)[0] + '.json')
    print(f'trained {cfg.train_cfg.max_iters} iterations in '
          f'{train_seconds:.0f} s; source val {metrics}; wrote {out} '
          f'({len(data) / 2**20:.2f} MiB, sha256 {meta["sha256"][:12]}...)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
