"""Train a (multi-task) segmentor: ``python tools/train.py CONFIG``.

Same arguments as mmseg's ``tools/train.py``, plus ``--adapter-only`` to save
checkpoints holding only the trainable weights.
"""
import argparse
import logging
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

import mmvmt  # noqa: F401  (registers modules, checkpoint compatibility)
from mmvmt.utils import setup_cpu_distributed


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments.

    Args:
        argv: The arguments without the program name; ``None`` reads
            ``sys.argv[1:]``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--adapter-only',
        action='store_true',
        default=False,
        help='save checkpoints with only the trainable weights (adapters, '
        'task modules, heads); load them on top of the pretrained backbone')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torchrun sets LOCAL_RANK; the argument is kept for old launchers.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_adapter_only(cfg: Config) -> None:
    """Make the trainable-checkpoint hook save trainable weights only."""
    hooks = cfg.get('custom_hooks', None) or []
    for hook in hooks:
        if hook.get('type') == 'TrainableCheckpointHook':
            hook['trainable_only'] = True
            break
    else:
        hooks.append(dict(type='TrainableCheckpointHook', trainable_only=True))
    cfg.custom_hooks = hooks


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Build the runner from the config and train.

    Args:
        argv: Command-line arguments without the program name (as for
            :func:`parse_args`); ``None`` reads ``sys.argv[1:]``.
    """
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.adapter_only:
        enable_adapter_only(cfg)
    cfg.resume = args.resume

    setup_cpu_distributed(cfg)  # DDP over gloo when there is no GPU
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
