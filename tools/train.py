"""Train a (multi-task) segmentor: ``python tools/train.py CONFIG``.

Same arguments as mmseg's ``tools/train.py``, plus ``--adapter-only`` to save
checkpoints holding only the trainable weights and ``--partial-load`` to load
a ``load_from`` checkpoint that does not fit the model on purpose (by default
such a checkpoint is refused, with the offending keys). ``--resume`` keeps
the random seed of the resumed run; the log says which seed is used. When
``last_checkpoint`` is missing or names a file that cannot be resumed from,
``--resume`` continues from the newest complete checkpoint of the work dir
and the log says which.
``--amp`` needs CUDA: without it the tool stops with a message (a config
that enables AMP itself trains in float32 there, with a warning; see
:mod:`mmvmt.utils.amp`).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

import mmvmt  # noqa: F401  (registers modules, checkpoint compatibility)
from mmvmt.engine import check_config_tasks, configure_checkpoint_hook
from mmvmt.utils import (AmpUnavailableError, configure_amp,
                         find_resume_checkpoint, finish_distributed,
                         read_checkpoint_meta, setup_cpu_distributed)


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
        '--partial-load',
        action='store_true',
        default=False,
        help='load the entries of a checkpoint that fit the model and warn '
        'about the rest (missing, unexpected, other shapes), e.g. to start '
        'a new head; without it such a checkpoint is refused')
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


def choose_resume_checkpoint(cfg: Config) -> str:
    """Set ``cfg.load_from`` to the checkpoint ``--resume`` continues from.

    A ``load_from`` of the config is kept (mmengine resumes from it). Else
    :func:`mmvmt.utils.find_resume_checkpoint` picks ``last_checkpoint``'s
    file, or the newest complete checkpoint of the work dir when that file
    is missing or cannot be resumed from; with no complete checkpoint at
    all, training starts from the beginning (``cfg.resume = False``:
    mmengine would try to read the file ``last_checkpoint`` names).

    Args:
        cfg: The full config with ``work_dir`` set (changed in place).

    Returns:
        str: A note for the log when the choice is not
        ``last_checkpoint``'s, else ``''``.
    """
    if cfg.get('load_from', None):
        return ''
    point = find_resume_checkpoint(cfg.work_dir)
    if point.path is None:
        cfg.resume = False
    else:
        cfg.load_from = point.path
    return point.note


def resumed_seed(cfg: Config) -> Tuple[Optional[int], str]:
    """Give a resumed run the seed of the run it resumes.

    mmengine builds the training data loader (its sampler takes the seed)
    before it reads the resumed checkpoint, so without a seed in the config
    a resumed run would draw a new one. The seed is read from the
    checkpoint's meta (memory-mapped, weights left on disk) and set as
    ``cfg.randomness.seed``.

    Args:
        cfg: The full config with ``work_dir`` set (changed in place).

    Returns:
        tuple: The checkpoint's seed (None if unknown) and a note saying
        where the run's seed comes from, for the log.
    """
    path = cfg.get('load_from', None) or find_resume_checkpoint(
        cfg.work_dir).path
    if not path:
        return None, ''
    seed = read_checkpoint_meta(path).get('seed')
    if seed is None:
        return None, ''
    randomness = dict(cfg.get('randomness', None) or {})
    if randomness.get('seed') is None:
        randomness['seed'] = int(seed)
        cfg.randomness = randomness
        return int(seed), f'the seed of the resumed checkpoint {path}'
    return int(seed), 'randomness.seed of the config'


def seed_note(cfg: Config, resumed: str) -> str:
    """Where the run's seed comes from, for the log line."""
    if resumed:
        return resumed
    if (cfg.get('randomness', None) or {}).get('seed') is not None:
        return 'randomness.seed of the config'
    return ('drawn at random; to repeat this run pass '
            '--cfg-options randomness.seed=<this seed>')


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

    try:
        amp_note = configure_amp(cfg, args.amp)
    except AmpUnavailableError as err:
        raise SystemExit(f'tools/train.py: {err}') from None

    configure_checkpoint_hook(
        cfg,
        trainable_only=True if args.adapter_only else None,
        strict=False if args.partial_load else None)
    cfg.resume = args.resume
    resume_note = choose_resume_checkpoint(cfg) if args.resume else ''
    resumed = resumed_seed(cfg)[1] if cfg.resume else ''
    check_config_tasks(cfg, ('train_dataloader', 'val_dataloader'))

    setup_cpu_distributed(cfg)  # DDP over gloo when there is no GPU
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    if resume_note:
        runner.logger.warning(resume_note)
    runner.logger.info(
        f'random seed: {runner.seed} ({seed_note(cfg, resumed)})')
    if amp_note is not None:
        runner.logger.log(amp_note[0], f'precision: {amp_note[1]}')
    runner.train()
    finish_distributed(cfg)  # before exit: see mmvmt/utils/dist.py


if __name__ == '__main__':
    main()
