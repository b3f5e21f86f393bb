"""How many iterations fit a wall-time budget, from a calibration table.

A short calibration run of the table (e.g. ``--max-iters 20 --seeds 0``)
records per run its median seconds per iteration ``s`` and its wall time
``w`` over ``n`` iterations; ``w - n * s`` is the run's fixed cost (start,
warm-up, validation, writing). For the same runs at ``I`` iterations and
``S`` seeds the table then takes about::

    S * sum_runs (fixed + I * s) + extra

where ``extra`` is what runs once (the efficiency run, the trivial
baselines). :func:`fit_iterations` solves for the largest ``I``. Runs are
keyed by (method, task); a method missing from the calibration is not
counted, so calibrate with the methods you will run.
"""
import math
import statistics
from typing import Dict, Mapping, Sequence, Tuple

__all__ = ['run_costs', 'estimate_seconds', 'fit_iterations']


def run_costs(records: Sequence[Mapping]) -> Dict[Tuple, dict]:
    """(method, task) -> ``{'sec_per_iter', 'fixed_s'}``, means over the
    calibration seeds of the finished training runs.

    Raises:
        ValueError: If no record is usable.
    """
    grouped: Dict[Tuple, list] = {}
    for rec in records:
        if rec.get('kind',
                   'train') != 'train' or rec.get('status') != 'finished':
            continue
        s, n, w = rec.get('sec_per_iter'), rec.get('iters'), rec.get('wall_s')
        if s is None or n is None or w is None:
            continue
        grouped.setdefault((rec['method'], rec['task']), []).append(
            (float(s), max(0.0,
                           float(w) - int(n) * float(s))))
    if not grouped:
        raise ValueError('the calibration has no finished run with '
                         'sec_per_iter, iters and wall_s')
    return {
        key:
        dict(
            sec_per_iter=statistics.fmean(s for s, _ in values),
            fixed_s=statistics.fmean(f for _, f in values))
        for key, values in grouped.items()
    }


def estimate_seconds(costs: Mapping[Tuple, Mapping],
                     iters: int,
                     seeds: int,
                     extra_s: float = 0.0) -> float:
    """Wall seconds of the table at ``iters`` iterations and ``seeds``."""
    per_seed = sum(c['fixed_s'] + iters * c['sec_per_iter']
                   for c in costs.values())
    return seeds * per_seed + extra_s


def fit_iterations(costs: Mapping[Tuple, Mapping],
                   budget_s: float,
                   seeds: int,
                   extra_s: float = 0.0) -> int:
    """The largest iteration count whose estimate fits ``budget_s``.

    Raises:
        ValueError: If not even one iteration fits.
    """
    fixed = seeds * sum(c['fixed_s'] for c in costs.values()) + extra_s
    per_iter = seeds * sum(c['sec_per_iter'] for c in costs.values())
    iters = math.floor((budget_s - fixed) / per_iter) if per_iter > 0 else 0
    if iters < 1:
        raise ValueError(
            f'{budget_s:.0f} s do not fit one iteration: the fixed costs '
            f'alone take {fixed:.0f} s for {seeds} seed(s)')
    return iters
