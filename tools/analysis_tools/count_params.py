"""Print trainable vs frozen parameters of a config's model, by group.

Usage::

    python tools/analysis_tools/count_params.py configs/vmt/swin-t_pascal.py

The pretrained checkpoint is not needed (weights are not initialised). The
table's rows add up to ``sum(p.numel() for p in model.parameters())``; the
adapter share is the backbone's added parameters (adapters, extraction, task
norms) as a percentage of the pretrained backbone.
"""
import argparse
import json
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmvmt  # noqa: F401
from mmvmt.utils.param_count import count_parameters


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--json', action='store_true', help='print JSON')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config (key=value)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Build the model and print the breakdown.

    Args:
        argv: Command-line arguments without the program name; ``None``
            reads ``sys.argv[1:]``.
    """
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pop('pretrained', None)
    if cfg.model.get('backbone', {}).get('init_cfg') is not None:
        cfg.model.backbone.init_cfg = None  # no download needed to count
    cfg.model.data_preprocessor = None
    model = MODELS.build(cfg.model)
    counts = count_parameters(model)
    total = counts['total']
    all_params = sum(p.numel() for p in model.parameters())
    assert total['trainable'] + total['frozen'] == all_params

    pretrained = sum(counts.get('backbone.pretrained', {}).values())
    # Everything the backbone holds beyond its pretrained weights: VMT's
    # adapters/extraction/task norms, a PEFTBackbone's peft/task_tuned.
    added = sum(
        sum(value.values()) for group, value in counts.items()
        if group.startswith('backbone.') and group != 'backbone.pretrained')
    backbone_trainable = sum(value['trainable']
                             for group, value in counts.items()
                             if group.startswith('backbone.'))
    summary = dict(
        groups=counts,
        total_params=all_params,
        backbone_trainable=backbone_trainable,
        adapter_share_of_backbone_percent=100.0 * added / max(pretrained, 1))
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f'{"group":<24}{"trainable":>14}{"frozen":>14}')
    for group, value in counts.items():
        if group == 'total':
            print('-' * 52)
        print(f'{group:<24}{value["trainable"]:>14,}{value["frozen"]:>14,}')
    print(f'all parameters: {all_params:,} '
          f'({total["trainable"] / all_params:.2%} trainable)')
    print('backbone additions (every backbone group but pretrained): '
          f'{added:,} = {summary["adapter_share_of_backbone_percent"]:.2f}% '
          f'of the pretrained backbone ({pretrained:,})')
    print(f'trainable in the backbone: {backbone_trainable:,}')


if __name__ == '__main__':
    main()
