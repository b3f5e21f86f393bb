"""Every shipped config has a literature-protocol twin, and nothing else
differs.

A twin is its original with only the dataset base (or, for a config built
on a VMT config, that base's twin) swapped for the literature one
(``configs/_base_/datasets/*_literature.py``). So the merged twin must be
the merged original, key by key, except where the literature dataset base
differs from the dataset base it replaces (the 448x448 pipelines, their
``img_scale`` and the evaluators' ``protocol='literature'``), and there it
must hold the literature base's value.
"""
import copy
import glob
import os.path as osp
import re
import shutil
from typing import Dict, List

import pytest
import yaml
from config_paths import ALIASES, DEMOS, REPO
from mmengine.config import Config
from mmseg.registry import DATASETS, METRICS, MODELS

#: Folders whose every config (but aliases and demos) needs a twin.
FOLDERS = ('vmt', 'baselines', 'single_task')
#: Benchmark in a config name -> its dataset base, original then literature.
DATASET_BASES = {
    'pascal-context-mt':
    ('pascal_context_mt.py', 'pascal_context_mt_literature.py'),
    'nyud-mt': ('nyud_mt.py', 'nyud_mt_literature.py'),
}
#: ``<benchmark>-<crop>.py`` -> ``<benchmark>-literature-448x448.py``.
SUFFIX = re.compile(r'_(?P<bench>pascal-context-mt|nyud-mt)-\d+x\d+\.py$')
LITERATURE = 'literature'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_MISSING = '<missing>'
CONFIGS = osp.join(REPO, 'configs')


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


def _load(path: str, root: str = CONFIGS) -> dict:
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


def _bench(name: str) -> str:
    match = SUFFIX.search(name) or re.search(
        r'_(?P<bench>pascal-context-mt|nyud-mt)-literature-448x448\.py$', name)
    assert match, name
    return match['bench']


def literature_changes(bench: str) -> Dict[str, object]:
    """What the literature dataset base changes: dotted key -> its value."""
    base, literature = (
        flatten(_load(f'_base_/datasets/{n}')) for n in DATASET_BASES[bench])
    return {
        key: literature.get(key, _MISSING)
        for key in set(base) | set(literature)
        if base.get(key, _MISSING) != literature.get(key, _MISSING)
    }


def test_twin_name():
    assert twin_name('lora_swin-t_4xb8-40k_nyud-mt-448x576.py') == (
        'lora_swin-t_4xb8-40k_nyud-mt-literature-448x448.py')
    with pytest.raises(ValueError, match='ade20k.py: expected'):
        twin_name('ade20k.py')


def test_the_literature_base_changes_only_data_and_protocol():
    """The allowed differences are what the issue specifies, no more."""
    for bench in DATASET_BASES:
        changes = literature_changes(bench)
        assert set(changes) == {
            'img_scale', 'train_pipeline', 'test_pipeline',
            'val_evaluator.protocol', 'test_evaluator.protocol'
        } | {f'{loader}.dataset.pipeline'
             for loader in LOADERS}, bench
        assert tuple(changes['img_scale']) == (448, 448)
        assert changes['val_evaluator.protocol'] == LITERATURE
        assert changes['test_evaluator.protocol'] == LITERATURE


def test_every_config_has_a_twin_and_every_twin_an_original():
    found = set(twins())
    expected = {
        osp.join(osp.dirname(p), twin_name(osp.basename(p)))
        for p in originals()
    }
    assert sorted(expected - found) == [], 'missing literature twins'
    assert sorted(found - expected) == [], 'twins without an original'
    # Each folder of baselines has its twins (not only configs/vmt).
    assert {p.split('/')[0] for p in found} == set(FOLDERS)


def twin_differences(path: str, root: str = CONFIGS) -> List[str]:
    """Dotted keys where the twin of ``path`` is not what it must be.

    That is the literature base's value where that base changes the key,
    the original's everywhere else.
    """
    folder, name = path.split('/')
    original = flatten(_load(path, root))
    twin = flatten(_load(f'{folder}/{twin_name(name)}', root))
    changes = literature_changes(_bench(name))
    return [
        key for key in sorted(set(original) | set(twin))
        if twin.get(key, _MISSING) != (
            changes[key] if key in changes else original.get(key, _MISSING))
    ]


@pytest.mark.parametrize('path', originals())
def test_twin_differs_only_in_what_the_literature_base_changes(path):
    assert twin_differences(path) == []
    twin = _load(f'{path.split("/")[0]}/{twin_name(path.split("/")[1])}')
    assert twin['val_evaluator']['protocol'] == LITERATURE
    assert twin['test_evaluator']['protocol'] == LITERATURE


def test_a_drifted_twin_is_caught(tmp_path):
    """A twin edited anywhere else, or on the old pipeline, fails."""
    root = str(tmp_path / 'configs')
    shutil.copytree(CONFIGS, root)
    path = 'baselines/lora-r4-shared_swin-t_4xb8-40k_nyud-mt-448x576.py'
    twin = osp.join(root, 'baselines', twin_name(osp.basename(path)))
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


def _metafile_models(folder: str) -> Dict[str, dict]:
    with open(osp.join(CONFIGS, folder, 'metafile.yaml')) as f:
        meta = yaml.safe_load(f)
    return {osp.basename(m['Config']): m for m in meta['Models']}


@pytest.mark.parametrize('path', originals())
def test_metafile_entry_is_the_originals_but_the_protocol(path):
    """The models are equal (above), so are their counts and tags."""
    folder, name = path.split('/')
    models = _metafile_models(folder)
    entry, original = (
        copy.deepcopy(models[n]) for n in (twin_name(name), name))
    assert entry['Name'] == osp.splitext(twin_name(name))[0]
    assert entry['Config'] == f'configs/{folder}/{twin_name(name)}'
    data = entry['Metadata'].pop('Training Data')
    assert data == (f'{original["Metadata"].pop("Training Data")} '
                    '(literature protocol, 448x448)')
    for key in ('Name', 'Config'):
        entry.pop(key)
        original.pop(key)
    assert entry == original


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
