"""The methods (rows) of the paper's table and their configs, per setting.

Two settings share the rows:

* ``'demo'``: each method's full config, turned into the CPU-scale demo by
  :func:`..transplant.to_demo_config`, plus the from-scratch CNN reference
  (a demo config of its own);
* ``'literature'``: each method's literature-protocol config
  (``*-literature-448x448.py``), run as it is.

The single-task baseline (``fullft-st``) is one config per task and always
runs: its numbers are the delta_m baseline of the run.
"""
import os.path as osp
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

__all__ = [
    'Method', 'BENCHMARKS', 'SETTINGS', 'SINGLE_TASK', 'CNN_REFERENCE',
    'QUICK_METHODS', 'methods_of', 'demo_config_of', 'select_methods'
]

#: The single-task full fine-tuning baseline (one run per task).
SINGLE_TASK = 'fullft-st'
#: The independent reference of the demo: a plain CNN trained from scratch.
CNN_REFERENCE = 'cnn-reference'
#: ``--quick``: these and the single-task runs.
QUICK_METHODS = ('decoder-only', 'vmt')
#: The settings: ``'demo'`` (CPU scale) and ``'literature'`` (full scale).
SETTINGS = ('demo', 'literature')


class Method(NamedTuple):
    """One row of the table.

    Attributes:
        name: Short name (the config file name up to ``_swin-t``).
        label: The row's name in the table.
        configs: ``(task, path)`` per run: one entry with task None for a
            multi-task method, one per task for the single-task baseline;
            paths relative to the repository root.
        transplant: Whether the config is a full config to be turned into
            the demo (False: already a demo config, or the literature
            setting).
    """

    name: str
    label: str
    configs: Tuple[Tuple[Optional[str], str], ...]
    transplant: bool = False


class _Benchmark(NamedTuple):
    demo: str
    suffix: str
    literature_suffix: str
    tasks: Tuple[str, ...]
    cnn_reference: str


#: Benchmark -> its demo config, config-name suffixes and tasks.
BENCHMARKS: Dict[str, _Benchmark] = dict(
    pascal=_Benchmark(
        'configs/vmt/swin-t_pascal_demo.py',
        '_swin-t_4xb8-40k_pascal-context-mt-448x448.py',
        '_swin-t_4xb8-40k_pascal-context-mt-literature-448x448.py',
        ('semseg', 'human_parts', 'sal', 'normals'),
        'configs/cnn_reference/resnet18-w32-scratch_pascal_demo.py'),
    nyud=_Benchmark('configs/vmt/swin-t_nyud_demo.py',
                    '_swin-t_4xb8-40k_nyud-mt-448x576.py',
                    '_swin-t_4xb8-40k_nyud-mt-literature-448x448.py',
                    ('semseg', 'depth', 'normals'),
                    'configs/cnn_reference/resnet18-w32-scratch_nyud_demo.py'))

#: (name, folder, label) in the order of the paper's table.
_ROWS = (
    (SINGLE_TASK, 'single_task', 'Single-task full fine-tuning'),
    ('fullft', 'baselines', 'Multi-task full fine-tuning'),
    ('decoder-only', 'baselines', 'Decoder-only'),
    ('bitfit-shared', 'baselines', 'BitFit'),
    ('bitfit-per-task', 'baselines', 'BitFit (per task)'),
    ('relpos-shared', 'baselines', 'Relative position bias'),
    ('relpos-per-task', 'baselines', 'Relative position bias (per task)'),
    ('lora-r4-shared', 'baselines', 'LoRA (r=4)'),
    ('lora-r4-per-task', 'baselines', 'LoRA (r=4, per task)'),
    ('adapter-shared', 'baselines', 'Adapter (Houlsby)'),
    ('adapter-per-task', 'baselines', 'Adapter (Houlsby, per task)'),
    ('mtlora-r16', 'baselines', 'MTLoRA (r=16)'),
    ('mtlora-r32', 'baselines', 'MTLoRA (r=32)'),
    ('mtlora-r64', 'baselines', 'MTLoRA (r=64)'),
    ('polyhistor-lite', 'baselines',
     'Polyhistor-Lite-style (our reading, unverified)'),
    ('vmt', 'vmt', 'VMT-Adapter'),
    ('vmt-lite', 'vmt', 'VMT-Adapter-Lite'),
)
#: The rows of the demo (CPU budget): one variant per family.
DEMO_ROWS = (SINGLE_TASK, 'fullft', 'decoder-only', 'bitfit-shared',
             'lora-r4-shared', 'adapter-shared', 'mtlora-r16',
             'polyhistor-lite', 'vmt', 'vmt-lite')
#: The CNN reference's row label (demo only, after the methods).
CNN_LABEL = 'From-scratch CNN (ResNet-18, width 32)'


def demo_config_of(benchmark: str) -> str:
    """The demo config (relative path) of ``'pascal'`` or ``'nyud'``."""
    return _benchmark(benchmark).demo


def _benchmark(benchmark: str) -> _Benchmark:
    if benchmark not in BENCHMARKS:
        raise ValueError(f'unknown dataset {benchmark!r}; choose from '
                         f'{sorted(BENCHMARKS)}')
    return BENCHMARKS[benchmark]


def methods_of(benchmark: str,
               root: str,
               setting: str = 'demo') -> Dict[str, Method]:
    """Every method whose configs exist for ``benchmark``, in table order.

    Args:
        benchmark: ``'pascal'`` or ``'nyud'``.
        root: The repository root.
        setting: ``'demo'`` (:data:`DEMO_ROWS` transplanted, and the CNN
            reference) or ``'literature'`` (every row's literature
            config).

    Raises:
        ValueError: On an unknown benchmark or setting.
        FileNotFoundError: If a single-task config is missing.
    """
    if setting not in SETTINGS:
        raise ValueError(f'unknown setting {setting!r}; choose from '
                         f'{list(SETTINGS)}')
    bench = _benchmark(benchmark)
    demo = setting == 'demo'
    suffix = bench.suffix if demo else bench.literature_suffix
    methods = {}
    for name, folder, label in _ROWS:
        if demo and name not in DEMO_ROWS:
            continue
        if name == SINGLE_TASK:
            configs = tuple(
                (task, f'configs/{folder}/{name}-{task.replace("_", "-")}'
                 f'{suffix}') for task in bench.tasks)
            missing = [
                p for _, p in configs if not osp.isfile(osp.join(root, p))
            ]
            if missing:
                raise FileNotFoundError(
                    f'single-task baseline configs missing: {missing}')
        else:
            configs = ((None, f'configs/{folder}/{name}{suffix}'), )
            if not osp.isfile(osp.join(root, configs[0][1])):
                continue  # e.g. no VMT-Lite config for NYUD
        methods[name] = Method(name, label, configs, transplant=demo)
    if demo and osp.isfile(osp.join(root, bench.cnn_reference)):
        methods[CNN_REFERENCE] = Method(CNN_REFERENCE, CNN_LABEL,
                                        ((None, bench.cnn_reference), ))
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
