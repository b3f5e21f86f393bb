"""The methods of the CPU-scale benchmark and their full configs.

Each method is one of the repository's full configs (the VMT paper's table
on Swin-T), turned into the demo by :func:`..transplant.to_demo_config`.
The single-task baseline (``fullft-st``) is one config per task and always
runs: its numbers are the delta_m baseline of the run.
"""
import os.path as osp
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

__all__ = [
    'Method', 'BENCHMARKS', 'SINGLE_TASK', 'QUICK_METHODS', 'methods_of',
    'demo_config_of', 'select_methods'
]

#: The single-task full fine-tuning baseline (one run per task).
SINGLE_TASK = 'fullft-st'
#: ``--quick``: these and the single-task runs.
QUICK_METHODS = ('decoder-only', 'vmt')


class Method(NamedTuple):
    """One row of the table.

    Attributes:
        name: Short name (the config file name up to ``_swin-t``).
        label: The row's name in the table.
        configs: ``(task, path)`` per run: one entry with task None for a
            multi-task method, one per task for the single-task baseline;
            paths relative to the repository root.
    """

    name: str
    label: str
    configs: Tuple[Tuple[Optional[str], str], ...]


class _Benchmark(NamedTuple):
    demo: str
    suffix: str
    tasks: Tuple[str, ...]


#: Benchmark -> its demo config, config-name suffix and tasks.
BENCHMARKS: Dict[str, _Benchmark] = dict(
    pascal=_Benchmark('configs/vmt/swin-t_pascal_demo.py',
                      '_swin-t_4xb8-40k_pascal-context-mt-448x448.py',
                      ('semseg', 'human_parts', 'sal', 'normals')),
    nyud=_Benchmark('configs/vmt/swin-t_nyud_demo.py',
                    '_swin-t_4xb8-40k_nyud-mt-448x576.py',
                    ('semseg', 'depth', 'normals')))

#: (name, folder, label) in the order of the paper's table.
_ROWS = (
    (SINGLE_TASK, 'single_task', 'Single-task full fine-tuning'),
    ('fullft', 'baselines', 'Multi-task full fine-tuning'),
    ('decoder-only', 'baselines', 'Decoder-only'),
    ('bitfit-shared', 'baselines', 'BitFit'),
    ('lora-r4-shared', 'baselines', 'LoRA (r=4)'),
    ('adapter-shared', 'baselines', 'Adapter (Houlsby)'),
    ('mtlora-r16', 'baselines', 'MTLoRA (r=16)'),
    ('polyhistor-lite', 'baselines',
     'Polyhistor-Lite-style (our reading, unverified)'),
    ('vmt', 'vmt', 'VMT-Adapter'),
    ('vmt-lite', 'vmt', 'VMT-Adapter-Lite'),
)


def demo_config_of(benchmark: str) -> str:
    """The demo config (relative path) of ``'pascal'`` or ``'nyud'``."""
    return _benchmark(benchmark).demo


def _benchmark(benchmark: str) -> _Benchmark:
    if benchmark not in BENCHMARKS:
        raise ValueError(f'unknown dataset {benchmark!r}; choose from '
                         f'{sorted(BENCHMARKS)}')
    return BENCHMARKS[benchmark]


def methods_of(benchmark: str, root: str) -> Dict[str, Method]:
    """Every method whose configs exist for ``benchmark``, in table order.

    Args:
        benchmark: ``'pascal'`` or ``'nyud'``.
        root: The repository root.

    Raises:
        FileNotFoundError: If a single-task config is missing.
    """
    bench = _benchmark(benchmark)
    methods = {}
    for name, folder, label in _ROWS:
        if name == SINGLE_TASK:
            configs = tuple(
                (task, f'configs/{folder}/{name}-{task.replace("_", "-")}'
                 f'{bench.suffix}') for task in bench.tasks)
            missing = [
                p for _, p in configs if not osp.isfile(osp.join(root, p))
            ]
            if missing:
                raise FileNotFoundError(
                    f'single-task baseline configs missing: {missing}')
        else:
            configs = ((None, f'configs/{folder}/{name}{bench.suffix}'), )
            if not osp.isfile(osp.join(root, configs[0][1])):
                continue  # e.g. no VMT-Lite config for NYUD
        methods[name] = Method(name, label, configs)
    return methods


def select_methods(available: Dict[str, Method],
                   names: Optional[Sequence[str]],
                   quick: bool = False) -> Dict[str, Method]:
    """The requested methods plus the single-task baseline, table order.

    Args:
        available: Output of :func:`methods_of`.
        names: Method names (None: all, or :data:`QUICK_METHODS` if
            ``quick``).
        quick: Use :data:`QUICK_METHODS` when ``names`` is None.

    Raises:
        ValueError: On an unknown name (the message lists the known ones).
    """
    if names is None:
        names = QUICK_METHODS if quick else tuple(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f'unknown method(s) {unknown}; choose from '
                         f'{list(available)}')
    wanted = set(names) | {SINGLE_TASK}
    return {n: m for n, m in available.items() if n in wanted}
