"""Read what a launched run wrote: checkpoint, test metrics, times, size.

What the tools write (mmengine 0.10, ``LocalVisBackend``):

* ``tools/train.py --work-dir W``: checkpoints in ``W`` (``best_*.pth``
  when the config's ``save_best`` is set, the final one named in
  ``W/last_checkpoint``) and one JSON line per logged iteration in
  ``W/<timestamp>/vis_data/scalars.json`` (``iter``, ``time``: the mean
  iteration time over the log processor's window);
* ``tools/test.py --work-dir W/test``: the test metrics as one JSON object
  in ``W/test/<timestamp>/<timestamp>.json`` (mmengine's ``LoggerHook``).
  :func:`read_test_metrics` keeps the task and multi-task entries and
  writes them to ``W/test/metrics.json`` (:mod:`mmvmt.fileio.metrics_file`,
  what ``make_baseline.py`` reads). ``tools/test.py --out`` would write the
  same file but also every prediction (gigabytes on PASCAL-Context).
"""
import copy
import glob
import json
import math
import os.path as osp
import statistics
from typing import Dict, List

from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmvmt  # noqa: F401  (registers modules)
from mmvmt.fileio.metrics_file import write_metrics_file
from mmvmt.tasks import TASKS
from mmvmt.utils.param_count import count_parameters

__all__ = [
    'METRICS_FILE', 'find_checkpoint', 'read_test_metrics', 'read_train_times',
    'backbone_counts', 'config_counts'
]

#: The test metrics of a run, below its test dir.
METRICS_FILE = 'metrics.json'


def find_checkpoint(work_dir: str, which: str) -> str:
    """The checkpoint to test.

    Args:
        work_dir: The training work dir.
        which: ``'best'`` (the one ``best_*.pth``) or ``'last'`` (the file
            ``last_checkpoint`` names).

    Raises:
        FileNotFoundError: If there is none; ValueError on several best
            checkpoints or an unknown ``which``. Messages name the dir.
    """
    if which == 'best':
        found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
        if len(found) > 1:
            raise ValueError(f'{work_dir}: several best checkpoints '
                             f'{[osp.basename(p) for p in found]}; keep one')
        if not found:
            raise FileNotFoundError(
                f'{work_dir}: no best_*.pth (the config\'s checkpoint hook '
                'sets save_best; did the training validate?)')
        return found[0]
    if which == 'last':
        pointer = osp.join(work_dir, 'last_checkpoint')
        path = None
        if osp.isfile(pointer):
            with open(pointer, encoding='utf-8') as f:
                path = f.read().strip()
        if not path or not osp.isfile(path):
            raise FileNotFoundError(
                f'{work_dir}: no final checkpoint ({pointer} names '
                f'{path!r})')
        return path
    raise ValueError(f"which must be 'best' or 'last', got {which!r}")


def _is_metric(key: str) -> bool:
    parts = key.split('/')
    return len(parts) == 2 and (parts[0] in TASKS or parts[0] == 'multitask')


def read_test_metrics(test_dir: str) -> Dict[str, float]:
    """The metrics of the newest test log in ``test_dir``, also written to
    ``test_dir/metrics.json``.

    Raises:
        FileNotFoundError: If no test log holds task metrics.
    """
    logs = sorted(glob.glob(osp.join(test_dir, '*', '*.json')), reverse=True)
    for log in logs:
        if osp.basename(log) != osp.basename(osp.dirname(log)) + '.json':
            continue  # not mmengine's <timestamp>/<timestamp>.json
        try:
            with open(log, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        metrics = {
            k: float(v)
            for k, v in data.items() if _is_metric(k)
            and isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        if any(k.split('/')[0] in TASKS for k in metrics):
            write_metrics_file(osp.join(test_dir, METRICS_FILE), metrics)
            return metrics
    raise FileNotFoundError(f'{test_dir}: no test log '
                            '(<timestamp>/<timestamp>.json) with task metrics')


def read_train_times(work_dir: str, warmup: int) -> dict:
    """``sec_per_iter`` (median logged ``time`` after ``warmup``
    iterations; None if none was logged) and ``iters`` (the last logged
    iteration) of every ``scalars.json`` of the run (resumed runs have
    several)."""
    times: Dict[int, float] = {}
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path, encoding='utf-8') as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if 'time' in entry and 'iter' in entry:
                    times[int(entry['iter'])] = float(entry['time'])
    kept: List[float] = [
        t for i, t in sorted(times.items()) if i > warmup and math.isfinite(t)
    ]
    if not kept and times:
        kept = [times[max(times)]]
    return dict(
        sec_per_iter=statistics.median(kept) if kept else None,
        iters=max(times) if times else None)


def backbone_counts(model) -> Dict[str, int]:
    """``backbone_trainable`` (every trainable backbone parameter) and
    ``backbone_params`` (the backbone's own weights, trainable or not)."""
    if is_model_wrapper(model):
        model = model.module
    counts = count_parameters(model)
    trainable = sum(v['trainable'] for g, v in counts.items()
                    if g.startswith('backbone.'))
    pretrained = counts.get('backbone.pretrained', dict(trainable=0, frozen=0))
    return dict(
        backbone_trainable=trainable,
        backbone_params=pretrained['trainable'] + pretrained['frozen'])


def config_counts(cfg) -> Dict[str, int]:
    """:func:`backbone_counts` of the model a config builds (no weights
    are loaded; trainability is set at construction)."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.train()  # mmseg's Swin applies frozen_stages in train()
    return backbone_counts(model)
