"""Time the VMT-adapted Swin-T against the stock Swin-T, side by side.

Builds, in one process, mmseg's Swin-T (embed 96, depths 2-2-6-2) and
``VMTSwinTransformer`` with 1 and with 6 tasks (random weights; speed does
not depend on them), then times forward passes (inference, ``no_grad``) and
forward+backward passes (training step without the optimizer) in
interleaved rounds and reports medians and ratios.

The frozen stock Swin has nothing to back-propagate into, so its training
reference is the same Swin fully trainable ("full FT"): the cost of the
single-task fine-tuning baseline.

Example::

    python tools/analysis_tools/benchmark_backbone.py --threads 1
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmseg.models.backbones import SwinTransformer
from torch import nn

from mmvmt.models.backbones import VMTSwinTransformer
from mmvmt.tasks import TASKS

__all__ = ['parse_args', 'main']

SWIN_T = dict(
    embed_dims=96,
    depths=(2, 2, 6, 2),
    num_heads=(3, 6, 12, 24),
    window_size=7,
    drop_path_rate=0.)


def parse_args() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--threads', type=int, default=1, help='torch.set_num_threads')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument(
        '--iters', type=int, default=5, help='timed rounds (median taken)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--lite', action='store_true', help='time VMT-Adapter-Lite')
    parser.add_argument(
        '--reduction', type=int, default=16, help='adapter reduction r')
    return parser.parse_args()


def _outputs(out) -> List[torch.Tensor]:
    if isinstance(out, dict):
        return [f for feats in out.values() for f in feats]
    return list(out)


def _forward(model: nn.Module, img: torch.Tensor) -> Callable[[], None]:

    def run():
        with torch.no_grad():
            model(img)

    return run


def _forward_backward(model: nn.Module,
                      img: torch.Tensor) -> Callable[[], None]:

    def run():
        loss = sum(f.mean() for f in _outputs(model(img)))
        loss.backward()
        model.zero_grad(set_to_none=True)

    return run


def _count(model: nn.Module, trainable: bool = False) -> int:
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable)


def main() -> None:
    """Build the models, time them and print the table."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    adapter_cfg = dict(
        type='VMTAdapter', reduction=args.reduction, lite=args.lite)
    all_tasks = tuple(TASKS)[:6]

    stock = SwinTransformer(**SWIN_T)
    stock.init_weights()
    stock.requires_grad_(False)
    stock.eval()
    stock_ft = SwinTransformer(**SWIN_T)
    stock_ft.load_state_dict(stock.state_dict())
    stock_ft.train()
    models: Dict[str, nn.Module] = {'stock': stock, 'stock-FT': stock_ft}
    for num_tasks in (1, 6):
        model = VMTSwinTransformer(
            tasks=all_tasks[:num_tasks],
            adapter_cfg=adapter_cfg,
            always_dict=True,
            **SWIN_T)
        model.load_state_dict(stock.state_dict(), strict=False)
        models[f'T{num_tasks}'] = model

    img = torch.randn(args.batch, 3, args.size, args.size)
    jobs = {}
    for name, model in models.items():
        if name != 'stock-FT':
            jobs[(name, 'fwd')] = (model, _forward(model, img))
        if name != 'stock':
            jobs[(name, 'fwd+bwd')] = (model, _forward_backward(model, img))

    times: Dict[tuple, List[float]] = {key: [] for key in jobs}
    for rnd in range(args.warmup + args.iters):
        for key, (model, run) in jobs.items():
            model.train(key[1] == 'fwd+bwd')
            start = time.perf_counter()
            run()
            if rnd >= args.warmup:
                times[key].append(time.perf_counter() - start)
    med = {key: statistics.median(t) * 1e3 for key, t in times.items()}

    variant = 'VMT-Adapter-Lite' if args.lite else 'VMT-Adapter'
    print(f'{variant} on Swin-T, input {args.batch}x3x{args.size}x'
          f'{args.size}, CPU threads={args.threads}, median of '
          f'{args.iters} rounds (warmup {args.warmup})')
    print(f'{"model":<26}{"params":>12}{"trainable":>12}'
          f'{"fwd ms":>10}{"fwd+bwd ms":>12}')
    labels = {
        'stock': 'stock Swin-T (frozen)',
        'stock-FT': 'stock Swin-T (full FT)',
        'T1': f'{variant} T=1',
        'T6': f'{variant} T=6'
    }
    for name, model in models.items():
        fwd = med.get((name, 'fwd'))
        bwd = med.get((name, 'fwd+bwd'))
        print(f'{labels[name]:<26}{_count(model):>12,}'
              f'{_count(model, trainable=True):>12,}'
              f'{f"{fwd:.1f}" if fwd else "-":>10}'
              f'{f"{bwd:.1f}" if bwd else "-":>12}')
    print(f'T6/T1      fwd {med[("T6", "fwd")] / med[("T1", "fwd")]:.3f}   '
          f'fwd+bwd {med[("T6", "fwd+bwd")] / med[("T1", "fwd+bwd")]:.3f}')
    print(f'T1/stock   fwd {med[("T1", "fwd")] / med[("stock", "fwd")]:.3f}'
          '   fwd+bwd (vs full FT) '
          f'{med[("T1", "fwd+bwd")] / med[("stock-FT", "fwd+bwd")]:.3f}')


if __name__ == '__main__':
    main()
