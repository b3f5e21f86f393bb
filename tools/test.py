"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Same arguments as mmseg's ``tools/test.py``. ``--out DIR`` writes every task's
predictions (and ``metrics.json``) through :class:`MultiTaskOutputHook`, so it
works whatever the evaluator is (a list of evaluators included).
``--show-dir DIR`` draws every image (``--show-interval N``: every N-th) into
``DIR/vis_data/vis_image/``. A checkpoint that does not fit the model is
refused with the offending keys unless ``--partial-load`` is given.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

import mmvmt  # noqa: F401  (registers modules, checkpoint compatibility)
from mmvmt.engine import check_config_tasks, configure_checkpoint_hook
from mmvmt.utils import finish_distributed, setup_cpu_distributed

#: ``cfg-options`` key of the visualisation interval.
INTERVAL_KEY = 'default_hooks.visualization.interval'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments.

    Args:
        argv: The arguments without the program name; ``None`` reads
            ``sys.argv[1:]``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='MMSeg test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help=('if specified, the evaluation metric results will be dumped'
              'into the directory as json'))
    parser.add_argument(
        '--out',
        type=str,
        help='directory to write every task\'s predictions and metrics.json')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='draw a mosaic (image, then ground truth and prediction of '
        'every task) per image into DIR/vis_data/vis_image/')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=None,
        help='with --show/--show-dir, draw every N-th image only (default: '
        'every image)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        default=False,
        help='load the entries of a checkpoint that fit the model and warn '
        'about the rest; without it such a checkpoint is refused')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg: Config, args: argparse.Namespace) -> None:
    """Switch on the visualisation hook for ``--show``/``--show-dir``."""
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks. '
            'refer to usage "visualization=dict(type=\'VisualizationHook\')"')
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    interval = getattr(args, 'show_interval', None)
    if interval is not None:
        visualization_hook['interval'] = interval
    elif INTERVAL_KEY not in (getattr(args, 'cfg_options', None) or {}):
        visualization_hook['interval'] = 1
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Build the runner from the config and test.

    Args:
        argv: Command-line arguments without the program name (as for
            :func:`parse_args`); ``None`` reads ``sys.argv[1:]``.
    """
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    if args.out is not None:
        hooks = cfg.get('custom_hooks', None) or []
        hooks.append(dict(type='MultiTaskOutputHook', out_dir=args.out))
        cfg.custom_hooks = hooks

    configure_checkpoint_hook(cfg, strict=False if args.partial_load else None)
    check_config_tasks(cfg, ('test_dataloader', ))

    setup_cpu_distributed(cfg)  # DDP over gloo when there is no GPU
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.test()
    finish_distributed(cfg)  # before exit: see mmvmt/utils/dist.py
    if args.show_dir:
        report_drawings(runner, args.show_dir)


def report_drawings(runner, show_dir: str) -> None:
    """Log where ``--show-dir`` drawings went, and how many there are."""
    image_dir = osp.join(show_dir, 'vis_data', 'vis_image')
    num = len(os.listdir(image_dir)) if osp.isdir(image_dir) else 0
    runner.logger.info(f'--show-dir: {num} drawings in {image_dir}')


if __name__ == '__main__':
    main()
