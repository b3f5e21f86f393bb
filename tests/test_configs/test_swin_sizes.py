"""Swin-S and Swin-B configs: trainable counts in closed form.

The metafiles' counts are those of the built models (test_configs.py,
test_baseline_configs.py); here they must equal the closed forms of the
VMT-Adapter and MTLoRA, which the Swin-T figures pin down first.
"""
import importlib.util
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUFFIX = '_4xb8-40k_pascal-context-mt-448x448'
#: Embed width C, depths D_i, heads h_i of mmseg's Swin sizes.
SWINS = {
    'swin-t': (96, (2, 2, 6, 2), (3, 6, 12, 24)),
    'swin-s': (96, (2, 2, 18, 2), (3, 6, 12, 24)),
    'swin-b': (128, (2, 2, 18, 2), (4, 8, 16, 32)),
}
NUM_TASKS = 4


def vmt_added(swin: str,
              lite: bool,
              tasks: int = NUM_TASKS,
              r: int = 16) -> int:
    """Backbone additions of VMT(-Lite): per block ``d k + k`` (down),
    ``k d + d`` (up; Lite: ``d`` bias + 1 scale), ``2 T k`` (extraction),
    ``k = d / r``; per task and output stage ``2 d_i`` (task norm)."""
    embed, depths, _ = SWINS[swin]
    total = 0
    for i, depth in enumerate(depths):
        d = embed * 2**i
        k = d // r
        up = d + 1 if lite else k * d + d
        total += depth * (d * k + k + up + 2 * tasks * k)
        total += tasks * 2 * d
    return total


def mtlora_trainable(swin: str,
                     r: int = 16,
                     r_t: int = 4,
                     tasks: int = NUM_TASKS,
                     w: int = 7) -> int:
    """MTLoRA's closed form (mmvmt/models/peft/mtlora.py): the public
    code's count less the unbuilt shared LoRA of the last ``fc2``."""
    embed, depths, heads = SWINS[swin]
    widths = [embed * 2**i for i in range(4)]
    s = sum(d * w_ for d, w_ in zip(depths, widths))
    unfrozen = (51 * embed + 4 * s +
                (2 * w - 1)**2 * sum(d * h for d, h in zip(depths, heads)) +
                8 * sum(d * d + d for d in widths[:3]))
    return (16 * r * s - 5 * r * widths[3] + 12 * r_t * tasks * sum(widths) +
            unfrozen)


def _metafile(folder: str) -> dict:
    with open(osp.join(REPO, 'configs', folder, 'metafile.yaml')) as f:
        return {m['Name']: m['Metadata'] for m in yaml.safe_load(f)['Models']}


def test_closed_forms_give_the_swin_t_figures():
    # README / the public MTLoRA code's figures
    assert vmt_added('swin-t', lite=False) == 287988
    assert vmt_added('swin-t', lite=True) == 153216
    # the public code's 3,006,522 less 5 r d_3 = 61,440 (see mtlora.py)
    assert mtlora_trainable('swin-t') == 2945082
    assert vmt_added(
        'swin-t', False, tasks=5) - vmt_added(
            'swin-t', False) == 552 + 2880  # one more task


@pytest.mark.parametrize('swin', ['swin-s', 'swin-b'])
def test_metafile_counts_are_the_closed_forms(swin):
    vmt, baselines = _metafile('vmt'), _metafile('baselines')
    for protocol in ('', '-literature'):
        suffix = SUFFIX.replace('-448x448', f'{protocol}-448x448')
        for method, lite in (('vmt', False), ('vmt-lite', True)):
            meta = vmt[f'{method}_{swin}{suffix}']
            assert meta['Backbone Added Parameters'] == vmt_added(swin, lite)
            assert meta['Architecture'][0] == swin.title()
        mtlora = baselines[f'mtlora-r16_{swin}{suffix}']
        assert mtlora['Backbone Trainable Parameters'] == mtlora_trainable(
            swin)
        decoder = baselines[f'decoder-only_{swin}{suffix}']
        assert decoder['Backbone Trainable Parameters'] == 0
        # same heads on every method: trainable = backbone + heads
        heads = decoder['Trainable Parameters']
        assert vmt[f'vmt_{swin}{suffix}']['Trainable Parameters'] == (
            heads + vmt_added(swin, False))
        assert mtlora['Trainable Parameters'] == (
            heads + mtlora_trainable(swin))


@pytest.mark.parametrize('swin', ['swin-s', 'swin-b'])
def test_configs_load_mmsegs_checkpoint(swin):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'vmt', f'vmt_{swin}{SUFFIX}.py'))
    embed, depths, heads = SWINS[swin]
    backbone = cfg.model.backbone
    assert (backbone.embed_dims, tuple(backbone.depths),
            tuple(backbone.num_heads)) == (embed, depths, heads)
    name = {'swin-s': 'small', 'swin-b': 'base'}[swin]
    assert backbone.init_cfg.checkpoint == (
        'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
        f'swin_{name}_patch4_window7_224_20220317-' + {
            'swin-s': '7ba6d6dd',
            'swin-b': 'e9b98025'
        }[swin] + '.pth')
    widths = [embed * 2**i for i in range(4)]
    assert all(head.in_channels == widths
               for head in cfg.model.decode_heads.values())


def test_benchmark_tool_has_swin_s_and_b_rows():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_methods.py')
    spec = importlib.util.spec_from_file_location('mmvmt_bench_sizes', path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for swin in ('swin-s', 'swin-b'):
        paths = bench.default_configs(backbone=swin)
        assert [bench.method_name(p) for p in paths
                ] == ['vmt', 'vmt-lite', 'decoder-only', 'mtlora-r16']
        assert {bench.backbone_name(p) for p in paths} == {swin}
    args = bench.parse_args(['--backbone', 'swin-b', '--params-only'])
    assert args.backbone == 'swin-b'
