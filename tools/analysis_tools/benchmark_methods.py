"""Time and size every multi-task method side by side, in one run.

For each method config (default: VMT, VMT-Lite, the single-task full
fine-tuning baseline and every other PASCAL-Context 448x448 config under
``configs/<folder>/``, found by glob so new methods join by themselves;
``--backbone swin-s`` / ``swin-b``: those of that Swin, which have no
single-task row)
the tool builds the model without pretrained weights (``init_cfg=None``;
speed does not depend on the weights) and measures, at the given input
size and number of tasks ``T``:

* trainable parameters: backbone and total, from
  :func:`mmvmt.utils.param_count.count_parameters` (as ``count_params.py``);
* forward: ``model._forward`` (backbone and every head, ``no_grad``, eval);
* training step: ``model.loss`` on random images and random targets of each
  task's shape and range, the summed loss, ``backward`` (no optimizer
  step), train mode;
* ``--backbone-only``: the backbone alone instead (forward
  ``model.extract_feat``; step: backward of the summed means of every
  feature map, none where the backbone trains nothing), comparable with
  ``benchmark_backbone.py``;
* training memory: on CUDA the peak allocated during one training step; on
  CPU the activations saved for backward (unique storages caught by
  ``torch.autograd.graph.saved_tensors_hooks``, parameters excluded) plus
  the gradients of the trainable parameters: exact and deterministic, but
  not the allocator's transient workspaces.

Times are medians over interleaved rounds (every method once, then again),
after warm-up rounds, with ``torch.set_num_threads(--threads)``. Ratios are
to reference methods measured in the same run (default ``decoder-only``,
the frozen stock Swin with the heads, and ``vmt``).

The single-task full fine-tuning baseline is ``T`` separate models: the tool
times ONE single-task model (the semseg config) and reports ``T x``
its forward, training-step time and parameters (row ``(xT models)``);
memory is one model's, since the ``T`` runs are separate.

Examples::

    python tools/analysis_tools/benchmark_methods.py --size 224 --batch 1 \\
        --rounds 5 --threads 1
    python tools/analysis_tools/benchmark_methods.py vmt lora-r4-per-task \\
        --tasks 1,2,4,6
    python tools/analysis_tools/benchmark_methods.py --quick
    python tools/analysis_tools/benchmark_methods.py --backbone swin-b \
        --params-only
"""
import argparse
import copy
import glob
import json
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from torch import Tensor, nn

import mmvmt  # noqa: F401
from mmvmt.tasks import CLASS, TASKS, get_task
from mmvmt.testing.random_batch import random_batch
from mmvmt.utils.param_count import count_parameters

__all__ = [
    'parse_args', 'default_configs', 'method_name', 'load_model_cfg',
    'benchmark', 'format_table', 'main'
]

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Swin sizes with configs (``--backbone``); the first is the default.
BACKBONES = ('swin-t', 'swin-s', 'swin-b')
SUFFIX_FORMAT = '_{}_4xb8-40k_pascal-context-mt-448x448.py'
SUFFIX = SUFFIX_FORMAT.format(BACKBONES[0])
#: Single-task configs: the ``xT`` row; ``{task}`` is the first task.
ST_PATTERN = 'configs/single_task/fullft-st-{task}' + SUFFIX
ST_NAME = 'fullft-st'
#: Number of classes of class tasks added when ``T`` exceeds the config's.
DEFAULT_CLASSES = dict(semseg=21, human_parts=7)
#: Swin and head widths of ``--quick`` (the tiny test model's).
TINY_SWIN = dict(embed_dims=16, depths=[1, 1, 2, 1], num_heads=[1, 2, 2, 4])
TINY_HEAD = dict(in_channels=[16, 32, 64, 128], channels=16)
#: Row labels of methods whose name alone would overstate what they are.
LABELS = {'polyhistor-lite': 'Polyhistor-Lite-style (our reading, unverified)'}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs',
        nargs='*',
        help='config files or method names of the default set (default: '
        'the whole default set)')
    parser.add_argument(
        '--tasks',
        default='4',
        help='number(s) of tasks T, comma-separated (e.g. 1,2,4,6)')
    parser.add_argument(
        '--backbone',
        choices=BACKBONES,
        default=BACKBONES[0],
        help='Swin of the default set (swin-s / swin-b: no single-task '
        'row, there are no single-task configs of them)')
    parser.add_argument('--size', type=int, default=224, help='H = W')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp', action='store_true', help='autocast (CUDA, float16)')
    parser.add_argument(
        '--reference',
        default='decoder-only,vmt',
        help='methods the ratios are to, comma-separated')
    parser.add_argument(
        '--params-only', action='store_true', help='count, do not time')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='time the backbone alone (step: backward of the mean of '
        'every feature map), as benchmark_backbone.py')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny Swin, decoder-only + VMT + single-task, 64x64, 2 rounds '
        '(a smoke test of the tool, not a measurement)')
    parser.add_argument('--json', metavar='OUT', help='also write JSON here')
    args = parser.parse_args(argv)
    try:
        args.task_counts = [int(t) for t in args.tasks.split(',')]
    except ValueError:
        parser.error(f'--tasks: expected integers like 1,2,4,6, got '
                     f'{args.tasks!r}')
    if any(t < 1 or t > len(TASKS) for t in args.task_counts):
        parser.error(f'--tasks: each T must be in 1..{len(TASKS)}, got '
                     f'{args.tasks!r}')
    args.references = [r for r in args.reference.split(',') if r]
    if args.quick:
        args.size, args.rounds, args.warmup = 64, 2, 1
    return args


def method_name(path: str) -> str:
    """The method's name: the config file name up to ``_swin-<size>``.

    Single-task configs (``fullft-st-<task>_...``) are all ``fullft-st``.
    """
    base = osp.basename(path)
    if base.startswith(ST_NAME + '-'):
        return ST_NAME
    return base.split('_swin-')[0] if '_swin-' in base else base[:-3]


def backbone_name(path: str) -> Optional[str]:
    """``swin-t`` / ``swin-s`` / ``swin-b`` from a config file name."""
    for backbone in BACKBONES:
        if f'_{backbone}_' in osp.basename(path):
            return backbone
    return None


def default_configs(root: str = REPO,
                    backbone: str = BACKBONES[0]) -> List[str]:
    """VMT, VMT-Lite, the single-task baseline and every other method.

    Other methods: every ``configs/<folder>/*`` PASCAL-Context 448x448
    config of mmvmt's protocol (``configs/baselines/`` and any method
    folder added later), sorted by file name.

    Args:
        root: The repository root.
        backbone: One of :data:`BACKBONES`.

    Returns:
        list[str]: Paths.
    """
    suffix = SUFFIX_FORMAT.format(backbone)
    first = [f'configs/vmt/vmt{suffix}', f'configs/vmt/vmt-lite{suffix}']
    paths = [osp.join(root, p) for p in first]
    if backbone == BACKBONES[0]:
        paths.append(osp.join(root, ST_PATTERN.format(task='semseg')))
    others = glob.glob(osp.join(root, 'configs', '*', '*' + suffix))
    paths += sorted(
        (p for p in others
         if osp.basename(osp.dirname(p)) not in ('vmt', 'single_task')),
        key=osp.basename)
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'benchmark_methods: default configs '
                                f'missing: {missing}')
    return paths


def _resolve(entries: Sequence[str],
             quick: bool,
             backbone: str = BACKBONES[0]) -> List[str]:
    """Config paths of the command line's entries (paths or names)."""
    defaults = default_configs(backbone=backbone)
    if not entries:
        if quick:
            names = ('decoder-only', 'vmt', ST_NAME)
            return [p for p in defaults if method_name(p) in names]
        return defaults
    by_name = {method_name(p): p for p in defaults}
    paths = []
    for entry in entries:
        if osp.isfile(entry):
            paths.append(entry)
        elif entry in by_name:
            paths.append(by_name[entry])
        else:
            raise ValueError(f'benchmark_methods: {entry!r} is neither a '
                             f'config file nor a method of the default set '
                             f'{sorted(by_name)}')
    return paths


def _shrink(node, key: str = '') -> None:
    """Tiny Swin widths and head widths in place (``--quick``)."""
    if isinstance(node, dict):
        if 'embed_dims' in node and 'depths' in node:
            node.update(copy.deepcopy(TINY_SWIN))
        if 'in_channels' in node and 'channels' in node:
            node.update(copy.deepcopy(TINY_HEAD))
        for k, value in node.items():
            _shrink(value, k)


def _drop_init(node) -> None:
    """``init_cfg=None`` everywhere: nothing downloads."""
    if isinstance(node, dict):
        if 'init_cfg' in node:
            node['init_cfg'] = None
        node.pop('pretrained', None)
        for value in node.values():
            _drop_init(value)


def _heads_for(heads: dict, num_tasks: int) -> dict:
    """The config's heads for the first ``num_tasks`` of the task table.

    Tasks the config has keep their head; others get a copy of a head of
    the config with the task's channels.
    """
    template = copy.deepcopy(next(iter(heads.values())))
    template.pop('num_classes', None)
    out = {}
    for task in list(heads) + [t for t in TASKS if t not in heads]:
        if len(out) == num_tasks:
            break
        if task in heads:
            out[task] = copy.deepcopy(heads[task])
        elif get_task(task).kind == CLASS:
            out[task] = dict(template, num_classes=DEFAULT_CLASSES[task])
        else:
            out[task] = copy.deepcopy(template)
    return out


def load_model_cfg(path: str,
                   num_tasks: Optional[int],
                   quick: bool = False) -> dict:
    """The model config of ``path`` with ``T`` heads and no init.

    Args:
        path: Config file.
        num_tasks: Number of tasks (None: the config's own heads).
        quick: Tiny Swin and head widths.

    Returns:
        dict: A plain model config.
    """
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = cfg.model.to_dict()
    _drop_init(model)
    model['data_preprocessor'] = None
    if num_tasks is not None:
        model['decode_heads'] = _heads_for(model['decode_heads'], num_tasks)
    if quick:
        _shrink(model)
    return model


def _param_counts(model: nn.Module) -> Dict[str, int]:
    counts = count_parameters(model)
    backbone = sum(v['trainable'] for g, v in counts.items()
                   if g.startswith('backbone.'))
    return dict(
        backbone_trainable=backbone,
        trainable=counts['total']['trainable'],
        total=counts['total']['trainable'] + counts['total']['frozen'])


class _Job:
    """One method at one ``T``: its model, batch and timed closures."""

    def __init__(self, name: str, path: str, num_tasks: int, args,
                 device: torch.device) -> None:
        self.name, self.path, self.num_tasks = name, path, num_tasks
        self.single_task = name == ST_NAME
        self.factor = num_tasks if self.single_task else 1
        cfg = load_model_cfg(path, None if self.single_task else num_tasks,
                             args.quick)
        model = MODELS.build(cfg)
        if device.type == 'cpu':
            model = revert_sync_batchnorm(model)
        self.model = model.to(device)
        self.params = _param_counts(self.model)
        self.inputs, self.samples = random_batch(self.model, args.batch,
                                                 args.size, device)
        self.device = device
        self.amp = args.amp
        self.backbone_only = args.backbone_only
        self.times: Dict[str, List[float]] = dict(forward=[], train_step=[])

    def _autocast(self):
        return torch.autocast(self.device.type, enabled=self.amp)

    def forward(self) -> None:
        """Inference: backbone and heads (or the backbone alone)."""
        self.model.eval()
        with torch.no_grad(), self._autocast():
            if self.backbone_only:
                self.model.extract_feat(self.inputs)
            else:
                self.model._forward(self.inputs)

    def train_step(self) -> None:
        """One training step without the optimizer; gradients dropped."""
        self.train_step_keep_grads()
        self.model.zero_grad(set_to_none=True)

    def timed(self, run: Callable[[], None]) -> float:
        """Seconds one call of ``run`` takes (synchronised on CUDA)."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        run()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - start

    def memory_mb(self) -> float:
        """Training memory of one step (see the module docstring)."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            before = torch.cuda.memory_allocated(self.device)
            self.train_step_keep_grads()
            peak = torch.cuda.max_memory_allocated(self.device) - before
            self.model.zero_grad(set_to_none=True)
            return peak / 2**20
        params = {
            p.untyped_storage().data_ptr()
            for p in self.model.parameters()
        }
        saved: Dict[int, int] = {}

        def pack(tensor: Tensor) -> Tensor:
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in params:
                saved[storage.data_ptr()] = storage.nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            self.train_step_keep_grads()
        grads = sum(p.grad.numel() * p.grad.element_size()
                    for p in self.model.parameters() if p.grad is not None)
        self.model.zero_grad(set_to_none=True)
        return (sum(saved.values()) + grads) / 2**20

    def train_step_keep_grads(self) -> None:
        """``model.loss`` (or the backbone's feature means) + backward.

        A backbone with nothing to train (decoder-only, backbone only)
        gets the forward in train mode and no backward.
        """
        self.model.train()
        with self._autocast():
            if self.backbone_only:
                feats = self.model.extract_feat(self.inputs)
                maps = ([f for fs in feats.values() for f in fs] if isinstance(
                    feats, dict) else list(feats))
                loss = sum(f.float().mean() for f in maps)
            else:
                losses = self.model.loss(self.inputs, self.samples)
                loss, _ = self.model.parse_losses(losses)
        if loss.requires_grad:
            loss.backward()

    def result(self) -> dict:
        factor = self.factor
        out = dict(
            method=self.name,
            backbone=backbone_name(self.path),
            config=osp.relpath(self.path, REPO),
            tasks=self.num_tasks,
            times_models=factor,
            backbone_trainable=self.params['backbone_trainable'] * factor,
            trainable=self.params['trainable'] * factor,
            total=self.params['total'] * factor,
            one_model=dict(self.params))
        for key, values in self.times.items():
            if values:
                one = statistics.median(values) * 1e3
                out[f'{key}_ms'] = one * factor
                out['one_model'][f'{key}_ms'] = one
        return out


def benchmark(args: argparse.Namespace) -> List[dict]:
    """Build every method at every ``T``, time them interleaved.

    Args:
        args: Parsed arguments (see :func:`parse_args`).

    Returns:
        list[dict]: One result per (method, T), with ratios to the
        references present.
    """
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    jobs = []
    for path in _resolve(args.configs, args.quick, args.backbone):
        for num_tasks in args.task_counts:
            jobs.append(_Job(method_name(path), path, num_tasks, args, device))
    if not args.params_only:
        for rnd in range(args.warmup + args.rounds):
            for job in jobs:
                for key in ('forward', 'train_step'):
                    elapsed = job.timed(getattr(job, key))
                    if rnd >= args.warmup:
                        job.times[key].append(elapsed)
        memory = {id(job): job.memory_mb() for job in jobs}
    results = []
    for job in jobs:
        result = job.result()
        if not args.params_only:
            result['train_memory_mb'] = memory[id(job)]
        results.append(result)
    _add_ratios(results, args.references)
    return results


def _add_ratios(results: List[dict], references: Sequence[str]) -> None:
    """``<key>_x_<ref>``: value over the reference's at the same ``T``."""
    keys = ('forward_ms', 'train_step_ms', 'train_memory_mb')
    for ref in references:
        for res in results:
            base = [
                r for r in results
                if r['method'] == ref and r['tasks'] == res['tasks']
                and r['backbone'] == res['backbone']
            ]
            if not base:
                continue
            for key in keys:
                if key in res and base[0].get(key):
                    res[f'{key}_x_{ref}'] = res[key] / base[0][key]


def format_table(results: List[dict], references: Sequence[str]) -> str:
    """A Markdown table of the results (ratio columns per reference)."""
    timed = any('forward_ms' in r for r in results)
    refs = [
        ref for ref in references if any(r['method'] == ref for r in results)
    ]
    head = ['method', 'T', 'trainable backbone', 'trainable total']
    if timed:
        head += ['fwd ms', 'step ms', 'train mem MB']
        for ref in refs:
            head += [f'fwd x {ref}', f'step x {ref}', f'mem x {ref}']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for res in results:
        name = LABELS.get(res['method'], res['method'])
        if res.get('backbone') not in (None, BACKBONES[0]):
            name += f' ({res["backbone"]})'
        if res['times_models'] > 1:
            name += f' (x{res["times_models"]} models)'
        row = [
            name,
            str(res['tasks']), f'{res["backbone_trainable"]:,}',
            f'{res["trainable"]:,}'
        ]
        if timed:
            row += [
                f'{res["forward_ms"]:.1f}', f'{res["train_step_ms"]:.1f}',
                f'{res["train_memory_mb"]:.1f}'
            ]
            for ref in refs:
                row += [
                    _ratio(res.get(f'{key}_x_{ref}'))
                    for key in ('forward_ms', 'train_step_ms',
                                'train_memory_mb')
                ]
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def _ratio(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.2f}'


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    """Benchmark, print the Markdown table, optionally write JSON.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.

    Returns:
        list[dict]: The results (as written to ``--json``).
    """
    args = parse_args(argv)
    results = benchmark(args)
    what = ('backbone only: step = feature means + backward'
            if args.backbone_only else 'fwd = backbone + heads, step = '
            'model.loss + backward (no optimizer step)')
    mem = ('peak allocated (CUDA)' if args.device.startswith('cuda') else
           'saved activations + grads (CPU)')
    print(f'input {args.batch}x3x{args.size}x{args.size}, device '
          f'{args.device}{" amp" if args.amp else ""}, threads '
          f'{args.threads}, median of {args.rounds} interleaved rounds '
          f'(warm-up {args.warmup}); {what}; '
          f'memory = {mem}; {ST_NAME}: one single-task model timed, x T')
    print(format_table(results, args.references))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(settings=vars(args), results=results), f, indent=2)
    return results


if __name__ == '__main__':
    main()
