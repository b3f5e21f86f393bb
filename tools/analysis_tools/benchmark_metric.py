"""Simulate MultiTaskMetric on a full-size validation split.

Feeds ``--num-images`` random image-sized predictions / ground truths (with
ignore regions, people-free human-parts images and invalid normals) through
``MultiTaskMetric.process`` in batches, then ``evaluate``, and reports:

* time per image of ``process`` (map generation excluded) and of the final
  reduction;
* memory: bytes of numpy data and pickled size of ``metric.results`` (what
  ``collect_results`` ships between ranks); the growth of the resident set
  size retained at the end (Linux: ``VmRSS`` after ``malloc_trim``, i.e.
  memory still in use, not free heap pages glibc keeps); the growth of the
  peak resident set size (``ru_maxrss``: includes the working set of a
  batch and heap pages glibc has not returned yet); optionally
  (``--tracemalloc``) the ``tracemalloc`` peak above the start (numpy
  allocations are traced, torch's are not; tracing itself inflates RSS).

Memory must stay flat in the number of images apart from a few hundred
bytes per image; a metric that stored maps would need ``raw_maps_mib``.

Example::

    python tools/analysis_tools/benchmark_metric.py --num-images 500 \\
        --size 512 --threads 1
"""
import argparse
import ctypes
import pickle
import resource
import time
import tracemalloc
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from mmvmt.evaluation import MultiTaskMetric
from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import get_task

__all__ = ['parse_args', 'make_sample', 'results_nbytes', 'main']

PASCAL = ('semseg', 'human_parts', 'sal', 'normals')
NUM_CLASSES = dict(semseg=21, human_parts=7)


def parse_args() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-images', type=int, default=500)
    parser.add_argument('--size', type=int, default=512, help='H = W')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument(
        '--tasks',
        nargs='+',
        default=list(PASCAL),
        help='tasks to evaluate (semseg human_parts sal normals depth edge)')
    parser.add_argument(
        '--threads', type=int, default=1, help='torch.set_num_threads')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--tracemalloc',
        action='store_true',
        help='also report the tracemalloc peak (slows down, inflates RSS)')
    return parser.parse_args()


def make_sample(idx: int, size: int, tasks: Sequence[str],
                gen: torch.Generator) -> dict:
    """One random sample as mmengine hands it to metrics (``to_dict()``).

    Args:
        idx: Image index (names the image; every 3rd has no people).
        size: Height and width.
        tasks: Tasks to fill.
        gen: Random generator.

    Returns:
        dict: ``gt_<task>`` / ``pred_<task>`` PixelData dicts + img_path.
    """
    shape = (1, size, size)
    sample = MultiTaskDataSample(metainfo=dict(img_path=f'{idx:05d}.jpg'))
    ignore = torch.rand(shape, generator=gen) < 0.05
    for task in tasks:
        if task in NUM_CLASSES:
            num = NUM_CLASSES[task]
            gt = torch.randint(0, num, shape, generator=gen)
            gt[ignore] = get_task(task).ignore_value
            if task == 'human_parts' and idx % 3 == 0:
                gt[:] = get_task(task).ignore_value
            pred = torch.randint(0, num, shape, generator=gen)
        elif task in ('sal', 'edge'):
            gt = (torch.rand(shape, generator=gen) < 0.3).long()
            gt[ignore] = get_task(task).ignore_value
            pred = torch.rand(shape, generator=gen)
        elif task == 'normals':
            gt = torch.nn.functional.normalize(
                torch.randn((3, size, size), generator=gen), dim=0)
            pred = gt + 0.4 * torch.randn((3, size, size), generator=gen)
            gt[:, ignore[0]] = get_task(task).ignore_value
        elif task == 'depth':
            gt = torch.rand(shape, generator=gen) * 10
            gt[ignore] = get_task(task).ignore_value
            pred = gt + torch.randn(shape, generator=gen)
        else:
            raise KeyError(f'benchmark cannot generate task {task!r}')
        sample.set_task_gt(task, gt)
        sample.set_task_pred(task, pred)
    return sample.to_dict()


def results_nbytes(obj) -> int:
    """Bytes of numpy data inside nested dicts / lists."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(results_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(results_nbytes(v) for v in obj)
    return 0


def _maxrss_mib() -> float:
    """Maximum resident set size of this process so far (MiB, Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _retained_rss_mib() -> Optional[float]:
    """Current resident set size after returning free heap pages (MiB).

    Returns:
        float | None: None where ``/proc`` or glibc is unavailable.
    """
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> Dict[str, float]:
    """Run the simulation and print the numbers.

    Returns:
        dict: The measured numbers.
    """
    args = parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    metric = MultiTaskMetric(
        tasks=args.tasks,
        baseline={
            t: v
            for t, v in dict(
                semseg=67.21, human_parts=61.93, sal=62.35,
                normals=17.97).items() if t in args.tasks
        },
        task_options={
            t: dict(num_classes=n)
            for t, n in NUM_CLASSES.items() if t in args.tasks
        })
    # warm-up outside the measurement (first-call allocations, imports)
    metric.process({}, [make_sample(0, 32, args.tasks, gen)])
    metric.results.clear()

    rss_start = _maxrss_mib()
    retained_start = _retained_rss_mib()
    if args.tracemalloc:
        tracemalloc.start()
        base_traced = tracemalloc.get_traced_memory()[0]
    process_s = 0.0
    done = 0
    while done < args.num_images:
        batch = [
            make_sample(done + i, args.size, args.tasks, gen)
            for i in range(min(args.batch, args.num_images - done))
        ]
        start = time.perf_counter()
        metric.process({}, batch)
        process_s += time.perf_counter() - start
        done += len(batch)
        del batch
    stored = results_nbytes(metric.results)
    pickled = len(pickle.dumps(metric.results))
    retained_end = _retained_rss_mib()
    start = time.perf_counter()
    res = metric.evaluate(args.num_images)
    reduce_s = time.perf_counter() - start
    numbers = dict(
        process_ms_per_image=process_s / args.num_images * 1e3,
        reduce_ms=reduce_s * 1e3,
        results_numpy_bytes=stored,
        results_bytes_per_image=stored / args.num_images,
        results_pickled_bytes=pickled,
        retained_rss_growth_mib=(retained_end - retained_start if
                                 retained_start is not None else float('nan')),
        peak_rss_growth_mib=_maxrss_mib() - rss_start,
        raw_maps_mib=args.num_images *
        sum(v['data'].numel() * v['data'].element_size()
            for k, v in make_sample(0, args.size, args.tasks, gen).items()
            if k.startswith(('gt_', 'pred_'))) / 2**20)
    if args.tracemalloc:
        numbers['tracemalloc_peak_mib'] = (tracemalloc.get_traced_memory()[1] -
                                           base_traced) / 2**20
        tracemalloc.stop()
    print(f'{args.num_images} images of {args.size}x{args.size}, tasks '
          f'{args.tasks}, batch {args.batch}, {args.threads} thread(s)')
    for key, value in numbers.items():
        print(f'  {key:26s} {value:,.2f}')
    print('  metrics: ' + ', '.join(f'{k}={v:.2f}' for k, v in res.items()))
    return numbers


if __name__ == '__main__':
    main()
