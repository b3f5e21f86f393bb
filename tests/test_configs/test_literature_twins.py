"""Every shipped config has a literature-setting twin: its body on the
published setting, and nothing else differs.

The literature setting is ``configs/_base_/literature/``: per benchmark
and model family one entry (``<bench>.py`` on the VMT model base,
``<bench>_peft.py`` on the PEFTBackbone one) that composes the literature
data protocol, the public MTLoRA recipe (``recipe.py``) in iterations of
the benchmark's train set, and the literature decoder (``HRFusionHead``).
A twin is its original's body with the original's bases (model, dataset,
runtime, schedule) replaced by that one entry, or, for a config built on
another config, with that config's twin in its place (a Swin size base,
``_base_/models/swin-{s,b}.py``, stays after it). So:

* each entry differs from the default composition it replaces only in the
  setting's keys (:data:`SETTING_KEYS`), and holds the public recipe's
  values, derived from the batch size and the train-set sizes;
* each twin, merged, equals its original's body merged on the twin's base,
  key by key (:data:`TWIN_EXCEPTIONS` lists deliberate differences).
"""
import ast
import copy
import fnmatch
import functools
import glob
import json
import math
import os.path as osp
import re
import shutil
import warnings
from typing import Dict, List

import pytest
import torch
import yaml
from config_paths import ALIASES, DEMOS, REPO
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmseg.registry import DATASETS, METRICS, MODELS

from mmvmt.models.decode_heads import HRFusionHead
from mmvmt.utils import configure_amp

#: Folders whose every config (but aliases and demos) needs a twin.
FOLDERS = ('vmt', 'baselines', 'single_task')
#: Benchmark in a config name -> its default dataset base.
DATASET_BASES = {
    'pascal-context-mt': 'pascal_context_mt.py',
    'nyud-mt': 'nyud_mt.py',
}
#: Model base of a family -> the setting entry's suffix.
FAMILIES = {'vmt': '', 'peft': '_peft'}
MODEL_BASES = {
    ('pascal-context-mt', 'vmt'): 'vmt_swin-t_pascal-mt.py',
    ('pascal-context-mt', 'peft'): 'peft_swin-t_pascal-mt.py',
    ('nyud-mt', 'vmt'): 'vmt_swin-t_nyud-mt.py',
    ('nyud-mt', 'peft'): 'peft_swin-t_nyud-mt.py',
}
DEFAULT_RUNTIME = [
    '../default_runtime.py', '../schedules/schedule_40k_adamw_cosine.py'
]
#: The Swin size base a config built on its Swin-T config adds.
SIZE_BASE = re.compile(r'\.\./_base_/models/swin-[sb]\.py')
#: ``<benchmark>-<crop>.py`` -> ``<benchmark>-literature-448x448.py``.
SUFFIX = re.compile(r'_(?P<bench>pascal-context-mt|nyud-mt)-\d+x\d+\.py$')
LITERATURE = 'literature'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_MISSING = '<missing>'
CONFIGS = osp.join(REPO, 'configs')
SETTING = osp.join(CONFIGS, '_base_', 'literature')

#: What an entry may change in the default composition (fnmatch patterns
#: of dotted keys): the data protocol, the recipe and its variables, the
#: decoder and drop-path.
SETTING_KEYS = (
    # data protocol (configs/_base_/datasets/*_literature.py)
    'img_scale',
    'train_pipeline',
    'test_pipeline',
    '*_dataloader.dataset.'
    'pipeline',
    'val_evaluator.protocol',
    'test_evaluator.protocol',
    # recipe (configs/_base_/literature/recipe.py) and its derivation
    'num_gpus',
    'batch_per_gpu',
    'total_batch',
    'lr_scaling',
    'base_lr',
    'warmup_lr',
    'min_lr',
    'epochs',
    'warmup_epochs',
    'drop_path_rate',
    'num_train_images',
    'iters_per_epoch',
    'max_iters',
    'warmup_iters',
    'warmup_scheduler.*',
    'cosine_scheduler.*',
    'optimizer.lr',
    'optimizer.eps',
    'optim_wrapper.type',
    'optim_wrapper.loss_scale',
    'optim_wrapper.optimizer.lr',
    'optim_wrapper.optimizer.eps',
    'optim_wrapper.clip_grad.*',
    'optim_wrapper.paramwise_cfg.'
    'flat_decay_mult',
    'param_scheduler',
    'train_cfg.max_iters',
    # decoder and drop-path
    'literature_head.*',
    'head.*',
    'model.decode_heads.*.type',
    'model.decode_heads.*.channels',
    'model.decode_heads.*.down_channels',
    'stock_swin.drop_path_rate',
    'model.backbone.drop_path_rate',
    'model.backbone.backbone.drop_path_rate')

#: Twin (file name) -> dotted keys where it deliberately differs from its
#: original's body on the setting (e.g. a method's public feature taps).
TWIN_EXCEPTIONS: Dict[str, tuple] = {}

#: The public recipe (scale-lab/MTLoRA), by hand: lrs at batch 512, total
#: batch, epochs; iterations = epochs * floor(images / 32) (drop_last).
PUBLIC = dict(
    base_lr=5e-4,
    warmup_lr=5e-7,
    min_lr=5e-6,
    batch=32,
    epochs=300,
    warmup_epochs=20,
    clip=5.0,
    drop_path=0.2,
    weight_decay=0.05)
#: Benchmark -> (warm-up, total) iterations: 4998 // 32 = 156 and
#: 795 // 32 = 24 iterations per epoch.
ITERATIONS = {
    'pascal-context-mt': (3_120, 46_800),
    'nyud-mt': (480, 7_200),
}


def twin_name(name: str) -> str:
    """The literature twin's file name of the config called ``name``."""
    match = SUFFIX.search(name)
    if match is None:
        raise ValueError(f'{name}: expected a name ending in '
                         "'_<pascal-context-mt|nyud-mt>-<H>x<W>.py'")
    return (name[:match.start()] +
            f'_{match["bench"]}-{LITERATURE}-448x448.py')


def _configs(folder: str) -> List[str]:
    return sorted(
        osp.basename(p) for p in glob.glob(osp.join(CONFIGS, folder, '*.py')))


def originals() -> List[str]:
    """``folder/name`` of every config that must have a twin."""
    skip = set(ALIASES) | set(DEMOS)
    return [
        f'{folder}/{name}' for folder in FOLDERS for name in _configs(folder)
        if name not in skip and LITERATURE not in name
    ]


def twins() -> List[str]:
    """``folder/name`` of every literature config of the three folders."""
    return [
        f'{folder}/{name}' for folder in FOLDERS for name in _configs(folder)
        if LITERATURE in name
    ]


def _twin(path: str) -> str:
    folder, name = path.split('/')
    return f'{folder}/{twin_name(name)}'


@functools.lru_cache(maxsize=None)
def _config(path: str) -> Config:
    """A shipped config, parsed once per session (callers do not edit it)."""
    return Config.fromfile(path)


def _load(path: str, root: str = CONFIGS) -> dict:
    if root == CONFIGS:
        return _config(osp.join(root, path)).to_dict()
    return Config.fromfile(osp.join(root, path)).to_dict()


def flatten(cfg: dict, prefix: str = '') -> Dict[str, object]:
    """Dotted key -> leaf value; lists (pipelines) stay whole leaves."""
    flat = {}
    for key, value in cfg.items():
        dotted = f'{prefix}{key}'
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + '.'))
        else:
            flat[dotted] = value
    return flat


def _differences(a: dict, b: dict) -> List[str]:
    fa, fb = flatten(a), flatten(b)
    return [
        k for k in sorted(set(fa) | set(fb))
        if fa.get(k, _MISSING) != fb.get(k, _MISSING)
    ]


def _bench(name: str) -> str:
    match = SUFFIX.search(name) or re.search(
        r'_(?P<bench>pascal-context-mt|nyud-mt)-literature-448x448\.py$', name)
    assert match, name
    return match['bench']


def _split(path: str):
    """The ``_base_`` statement's source and the rest of a config file."""
    with open(path) as f:
        text = f.read()
    (node, ) = [
        n for n in ast.parse(text).body if isinstance(n, ast.Assign)
        and getattr(n.targets[0], 'id', None) == '_base_'
    ]
    lines = text.splitlines(keepends=True)
    return (''.join(lines[node.lineno - 1:node.end_lineno]),
            ''.join(lines[node.end_lineno:]), ast.literal_eval(node.value))


def expected_twin_base(path: str) -> List[str]:
    """The base a twin of ``path`` must have (see the module docstring)."""
    folder, name = path.split('/')
    bases = _split(osp.join(CONFIGS, path))[2]
    if not bases[0].startswith('../_base_/'):
        # built on another config: that config's twin, then the Swin size
        # base the original adds, if any
        assert all(SIZE_BASE.fullmatch(b) for b in bases[1:]), (path, bases)
        base = osp.normpath(osp.join(folder, bases[0]))
        rel = osp.relpath(
            osp.join(osp.dirname(base), twin_name(osp.basename(base))), folder)
        return [rel if rel.startswith('..') else './' + rel] + bases[1:]
    bench = _bench(name)
    family = 'peft' if 'peft_' in bases[0] else 'vmt'
    assert bases == [
        f'../_base_/models/{MODEL_BASES[(bench, family)]}',
        f'../_base_/datasets/{DATASET_BASES[bench]}',
        '../_base_/default_runtime.py',
        '../_base_/schedules/schedule_40k_adamw_cosine.py'
    ], path
    return [f'../_base_/literature/{bench}{FAMILIES[family]}.py']


@pytest.fixture(scope='module')
def config_copy(tmp_path_factory) -> str:
    """A copy of configs/ to write composed configs into."""
    root = str(tmp_path_factory.mktemp('configs') / 'configs')
    shutil.copytree(CONFIGS, root)
    return root


def twin_differences(path: str, root: str) -> List[str]:
    """Keys where the twin of ``path`` is not the original's body on the
    twin's base (under the configs tree ``root``)."""
    folder, name = path.split('/')
    twin_base = _split(osp.join(root, _twin(path)))[0]
    body = _split(osp.join(root, path))[1]
    composed = osp.join(root, folder, f'_composed_{name}')
    with open(composed, 'w') as f:
        f.write(twin_base + body)
    expected = _load(composed, root)
    return [
        k for k in _differences(_load(_twin(path), root), expected)
        if k not in TWIN_EXCEPTIONS.get(twin_name(name), ())
    ]


def test_twin_name():
    assert twin_name('lora_swin-t_4xb8-40k_nyud-mt-448x576.py') == (
        'lora_swin-t_4xb8-40k_nyud-mt-literature-448x448.py')
    with pytest.raises(ValueError, match='ade20k.py: expected'):
        twin_name('ade20k.py')


def test_every_config_has_a_twin_and_every_twin_an_original():
    found = set(twins())
    expected = {_twin(p) for p in originals()}
    assert sorted(expected - found) == [], 'missing literature twins'
    assert sorted(found - expected) == [], 'twins without an original'
    assert {p.split('/')[0] for p in found} == set(FOLDERS)


@pytest.mark.parametrize('path', originals())
def test_twin_is_its_originals_body_on_the_setting(path, config_copy):
    assert _split(osp.join(CONFIGS,
                           _twin(path)))[2] == expected_twin_base(path)
    assert twin_differences(path, config_copy) == []
    twin = _load(_twin(path))
    assert twin['val_evaluator']['protocol'] == LITERATURE
    assert twin['optim_wrapper']['type'] == 'AmpOptimWrapper'


def test_a_drifted_twin_is_caught(tmp_path):
    """A twin edited anywhere but its base fails."""
    root = str(tmp_path / 'configs')
    shutil.copytree(CONFIGS, root)
    path = 'baselines/lora-r4-shared_swin-t_4xb8-40k_nyud-mt-448x576.py'
    twin = osp.join(root, _twin(path))
    with open(twin) as f:
        text = f.read()
    assert text.count('dropout=0.0') == 1
    with open(twin, 'w') as f:
        f.write(
            text.replace('dropout=0.0', 'dropout=0.1') +
            'optim_wrapper = dict(optimizer=dict(lr=1e-4))\n'
            'val_dataloader = dict(dataset=dict(pipeline=['
            "dict(type='LoadImageFromFile')]))\n")
    assert twin_differences(path, root) == [
        'model.backbone.method.dropout', 'optim_wrapper.optimizer.lr',
        'val_dataloader.dataset.pipeline'
    ]


ENTRIES = [(bench, family) for bench in DATASET_BASES for family in FAMILIES]


def _entry(bench: str, family: str) -> Config:
    return Config.fromfile(osp.join(SETTING, f'{bench}{FAMILIES[family]}.py'))


@pytest.mark.parametrize('bench,family', ENTRIES)
def test_the_setting_changes_only_its_keys(bench, family, config_copy):
    default = osp.join(config_copy, '_base_', 'literature',
                       f'_default_{bench}_{family}.py')
    bases = DEFAULT_RUNTIME + [
        f'../models/{MODEL_BASES[(bench, family)]}',
        f'../datasets/{DATASET_BASES[bench]}'
    ]
    with open(default, 'w') as f:
        f.write(f'_base_ = {bases!r}\n')
    changed = _differences(
        _entry(bench, family).to_dict(),
        Config.fromfile(default).to_dict())
    outside = [
        k for k in changed
        if not any(fnmatch.fnmatchcase(k, p) for p in SETTING_KEYS)
    ]
    assert outside == []
    # the protocol, the recipe, the decoder and drop-path all changed
    for key in ('train_pipeline', 'optim_wrapper.type', 'param_scheduler',
                'train_cfg.max_iters', 'model.decode_heads.semseg.type',
                'stock_swin.drop_path_rate'):
        assert key in changed, key


@pytest.mark.parametrize('bench,family', ENTRIES)
def test_the_setting_carries_the_public_recipe(bench, family):
    cfg = _entry(bench, family)
    total = cfg.num_gpus * cfg.train_dataloader.batch_size
    assert total == PUBLIC['batch'] == cfg.total_batch
    scale = total / 512  # main.py's linear scaling rule
    wrapper = cfg.optim_wrapper
    assert wrapper.type == 'AmpOptimWrapper'
    assert wrapper.loss_scale == 'dynamic'
    assert wrapper.clip_grad == dict(max_norm=PUBLIC['clip'], norm_type=2)
    opt = wrapper.optimizer
    assert opt.type == 'AdamW'
    assert opt.lr == pytest.approx(PUBLIC['base_lr'] * scale) == 3.125e-5
    assert opt.weight_decay == PUBLIC['weight_decay']
    assert (opt.betas, opt.eps) == ((0.9, 0.999), 1e-8)
    warmup, total_iters = ITERATIONS[bench]
    assert cfg.num_train_images // PUBLIC['batch'] * PUBLIC[
        'epochs'] == total_iters
    assert cfg.train_cfg == dict(
        type='IterBasedTrainLoop', max_iters=total_iters, val_interval=4000)
    linear, cosine = cfg.param_scheduler
    assert linear.type == 'LinearLR' and cosine.type == 'CosineAnnealingLR'
    assert opt.lr * linear.start_factor == pytest.approx(PUBLIC['warmup_lr'] *
                                                         scale)
    assert opt.lr * cosine.eta_min_ratio == pytest.approx(PUBLIC['min_lr'] *
                                                          scale)
    assert (linear.begin, linear.end) == (0, warmup + 1)
    assert (cosine.begin, cosine.end) == (warmup, total_iters)
    # drop-path on the stock Swin-T, wherever the family puts it
    swin = cfg.model.backbone.get('backbone', cfg.model.backbone)
    assert swin.drop_path_rate == cfg.stock_swin.drop_path_rate == PUBLIC[
        'drop_path']
    # the literature decoder on the model base's taps and classes
    default = Config.fromfile(
        osp.join(CONFIGS, '_base_', 'models', MODEL_BASES[(bench, family)]))
    for task, head in cfg.model.decode_heads.items():
        base_head = default.model.decode_heads[task]
        assert head.type == 'HRFusionHead'
        assert head.down_channels == [18, 36, 72, 144]
        assert head.channels is None
        assert head.in_channels == base_head.in_channels
        assert head.get('num_classes') == base_head.get('num_classes')
    paramwise = wrapper.paramwise_cfg
    assert paramwise.flat_decay_mult == paramwise.bias_decay_mult == 0.0
    assert paramwise.norm_decay_mult == 0.0
    assert paramwise.custom_keys['relative_position_bias_table'] == dict(
        decay_mult=0.0)


def _public_lr(t: int, warmup: int, total: int, scale: float) -> float:
    """timm's CosineLRScheduler (warmup_prefix) of lr_scheduler.py."""
    base, warm, floor = (
        PUBLIC[k] * scale for k in ('base_lr', 'warmup_lr', 'min_lr'))
    if t < warmup:
        return warm + t * (base - warm) / warmup
    return floor + 0.5 * (base - floor) * (1 + math.cos(math.pi *
                                                        (t - warmup) /
                                                        (total - warmup)))


@pytest.mark.parametrize('bench', sorted(ITERATIONS))
def test_the_lr_follows_the_public_scheduler_every_iteration(bench):
    cfg = _entry(bench, 'vmt')
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=cfg.optim_wrapper.optimizer.lr)
    wrapper = OptimWrapper(optimizer)
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    warmup, total = ITERATIONS[bench]
    lrs = []
    with warnings.catch_warnings():  # no optimizer.step() here, on purpose
        warnings.simplefilter('ignore')
        for _ in range(total):
            lrs.append(optimizer.param_groups[0]['lr'])
            for scheduler in schedulers:
                scheduler.step()
    public = [_public_lr(t, warmup, total, 32 / 512) for t in range(total)]
    torch.testing.assert_close(
        torch.tensor(lrs, dtype=torch.float64),
        torch.tensor(public, dtype=torch.float64),
        rtol=1e-9,
        atol=0)


@pytest.mark.parametrize('setting', ['default', 'literature'])
@pytest.mark.parametrize('per_task', [False, True])
def test_no_weight_decay_on_relative_position_tables(setting, per_task):
    """Built with the setting's optimizer (on CPU: float32, see amp.py)."""
    path = ('baselines/relpos-shared_swin-t_4xb8-40k_pascal-context-mt-'
            '448x448.py')
    cfg = Config.fromfile(
        osp.join(CONFIGS,
                 _twin(path) if setting == 'literature' else path))
    configure_amp(cfg, requested=False, cuda=False)
    tiny_swin = dict(
        embed_dims=8,
        depths=[1, 1],
        num_heads=[1, 2],
        out_indices=(0, 1),
        strides=(4, 2),
        init_cfg=None)
    backbone = MODELS.build(
        dict(
            type='PEFTBackbone',
            backbone=dict(cfg.stock_swin, **tiny_swin),
            method=dict(type='RelPosBiasTuning'),
            tasks=('semseg', 'sal'),
            per_task=per_task))
    # plus a trainable bias, a norm and a 1-D gain (no adapter key name)
    model = torch.nn.ModuleDict(
        dict(
            backbone=backbone,
            head=torch.nn.Conv2d(8, 2, 1),
            norm=torch.nn.BatchNorm2d(2)))
    model.register_parameter('gain', torch.nn.Parameter(torch.ones(3)))
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    assert type(wrapper) is OptimWrapper
    decay = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            decay[names[id(param)]] = group['weight_decay']
    tables = [n for n in decay if 'relative_position_bias_table' in n]
    assert len(tables) == (4 if per_task else 2)  # 1 + 1 blocks (x 2 tasks)
    assert all(decay[n] == 0 for n in tables)
    assert decay['head.weight'] == 0.05
    assert decay['head.bias'] == decay['norm.weight'] == 0
    # the public rule (every 1-D parameter) is the literature setting's
    assert decay['gain'] == (0 if setting == 'literature' else 0.05)


def _metafile_models(folder: str) -> Dict[str, dict]:
    with open(osp.join(CONFIGS, folder, 'metafile.yaml')) as f:
        meta = yaml.safe_load(f)
    return {osp.basename(m['Config']): m for m in meta['Models']}


@functools.lru_cache(maxsize=None)
def _head_params(head: str) -> int:
    return sum(p.numel() for p in MODELS.build(json.loads(head)).parameters())


def _heads_count(cfg: Config) -> int:
    """Parameters of the config's heads (each distinct head built once)."""
    return sum(
        _head_params(json.dumps(dict(head.to_dict(), task=task)))
        for task, head in cfg.model.decode_heads.items())


@pytest.mark.parametrize('path', originals())
def test_metafile_entry_is_the_originals_but_setting_and_decoder(path):
    """Same backbone counts; total and trainable differ by the heads."""
    folder, name = path.split('/')
    models = _metafile_models(folder)
    entry, original = (
        copy.deepcopy(models[n]) for n in (twin_name(name), name))
    assert entry['Name'] == osp.splitext(twin_name(name))[0]
    assert entry['Config'] == f'configs/{_twin(path)}'
    meta, base = entry['Metadata'], original['Metadata']
    assert meta.pop('Training Data') == (
        f'{base.pop("Training Data")} (literature setting, 448x448)')
    assert meta.pop('Architecture') == [
        'HRFusionHead' if a == 'MultiScaleFusionHead' else a
        for a in base.pop('Architecture')
    ]
    shift = _heads_count(_config(osp.join(CONFIGS, _twin(path)))) - (
        _heads_count(_config(osp.join(CONFIGS, path))))
    for key in ('Parameters', 'Trainable Parameters'):
        assert meta.pop(key) == base.pop(key) + shift, key
    for key in ('Name', 'Config'):
        entry.pop(key)
        original.pop(key)
    assert entry == original


def test_pascal_twin_decoders_count_by_the_formula():
    cfg = Config.fromfile(
        osp.join(
            CONFIGS,
            _twin('vmt/vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py')))
    outputs = dict(semseg=21, human_parts=7, sal=1, normals=3)
    assert _heads_count(cfg) == sum(
        HRFusionHead.num_params(cfg.model.decode_heads[t].in_channels, k)
        for t, k in outputs.items()) == 1_801_472  # mmseg's taps


def _build_data_and_metrics(cfg: Config) -> None:
    datasets = [
        DATASETS.build(dict(cfg[loader].dataset, lazy_init=True))
        for loader in LOADERS
    ]
    for evaluator, dataset in (('val_evaluator', datasets[1]),
                               ('test_evaluator', datasets[2])):
        metric = METRICS.build(cfg[evaluator])
        metric.dataset_meta = dataset.metainfo  # as mmengine's loops do
        assert metric.tasks == tuple(cfg.train_dataloader.dataset.tasks)


@pytest.mark.parametrize('path', twins())
def test_twin_builds_its_pipelines_and_metrics(path):
    _build_data_and_metrics(Config.fromfile(osp.join(CONFIGS, path)))


@pytest.mark.parametrize('path', [
    'baselines/lora-r4-shared_swin-t_4xb8-40k_nyud-mt-literature-448x448.py',
    'single_task/fullft-st-sal_swin-t_4xb8-40k_'
    'pascal-context-mt-literature-448x448.py',
])
def test_twin_builds_its_model(path):
    cfg = Config.fromfile(osp.join(CONFIGS, path))
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.backbone.get('backbone', model_cfg.backbone)
    backbone.init_cfg = None  # no download
    model = MODELS.build(model_cfg)
    assert model.tasks == tuple(cfg.train_dataloader.dataset.tasks)
    assert all(
        type(h).__name__ == 'HRFusionHead'
        for h in model.decode_heads.values())
