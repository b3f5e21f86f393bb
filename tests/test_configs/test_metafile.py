"""configs/vmt/metafile.yaml (mmseg's model-index format) lists the configs.

The parameter counts are checked against the built models in
test_configs.py.
"""
import os.path as osp
import re

import yaml
from config_paths import (CONFIG_DIR, DEMOS, REPO, metafile_models,
                          non_alias_configs)
from mmengine.config import Config

#: The demo configs' backbone in the metafile: the small Swin of
#: configs/_base_/models/swin-demo.py (parameter counts: test_configs.py).
DEMO_SWIN = 'Swin-demo'


def _load(path):
    with open(osp.join(REPO, path)) as f:
        return yaml.safe_load(f)


def test_model_index_imports_the_metafile():
    imports = _load('model-index.yml')['Import']
    # configs/baselines/metafile.yaml is checked in
    # tests/test_models/test_peft/test_baseline_configs.py,
    # configs/single_task/metafile.yaml in test_single_task_configs.py.
    assert imports == [
        'configs/vmt/metafile.yaml', 'configs/baselines/metafile.yaml',
        'configs/single_task/metafile.yaml'
    ]
    assert all(osp.isfile(osp.join(REPO, p)) for p in imports)


def test_every_config_but_the_aliases_is_listed_and_exists():
    meta = _load('configs/vmt/metafile.yaml')
    listed = [m['Config'] for m in meta['Models']]
    assert len(set(listed)) == len(listed)
    assert all(osp.isfile(osp.join(REPO, p)) for p in listed)
    assert sorted(
        osp.relpath(osp.join(CONFIG_DIR, n), REPO)
        for n in non_alias_configs()) == sorted(listed)
    assert sorted(n for n in non_alias_configs()
                  if n.endswith('_demo.py')) == sorted(DEMOS)


def test_entries_follow_the_model_index_format():
    meta = _load('configs/vmt/metafile.yaml')
    collections = {c['Name']: c for c in meta['Collections']}
    for collection in collections.values():
        assert osp.isfile(osp.join(REPO, collection['README']))
    for model in meta['Models']:
        assert model['In Collection'] in collections
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
        assert 'Results' in model  # none published yet
        for key in ('Training Data', 'Batch Size', 'Architecture', 'Tasks',
                    'Parameters', 'Trainable Parameters',
                    'Backbone Added Parameters'):
            assert key in model['Metadata'], (model['Name'], key)


def test_metadata_matches_the_configs():
    for name, model in metafile_models().items():
        cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
        meta = model['Metadata']
        tasks = tuple(cfg.train_dataloader.dataset.tasks)
        assert tuple(meta['Tasks']) == tasks
        per_gpu = cfg.train_dataloader.batch_size
        gpus = re.search(r'_(\d+)xb(\d+)-', name)
        if gpus is None:  # demo: one process
            assert meta['Batch Size'] == per_gpu
        else:
            assert int(gpus.group(2)) == per_gpu
            assert meta['Batch Size'] == int(gpus.group(1)) * per_gpu
        lite = cfg.model.backbone.adapter_cfg.lite
        assert ('VMT-Adapter-Lite' in meta['Architecture']) == lite
        if name in DEMOS:  # the full config's method on the demo Swin
            full = metafile_models()[DEMOS[name]]['Metadata']
            assert meta['Architecture'] == [DEMO_SWIN
                                            ] + full['Architecture'][1:]
            assert full['Architecture'][0] == 'Swin-T'
            assert meta['Tasks'] == full['Tasks']
            assert 'synthetic' in meta['Training Data']
