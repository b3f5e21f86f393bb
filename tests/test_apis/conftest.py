"""Fixtures of the API tests: a tiny PASCAL model, its checkpoint, images."""
from typing import Dict, List

import mmcv
import numpy as np
import pytest
import torch
from api_constants import DEMO_CONFIG, IMAGE_SHAPE, TASKS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

from mmvmt.datasets import PascalContextMTDataset


@pytest.fixture(scope='session')
def tiny_cfg(tmp_path_factory) -> Config:
    """The PASCAL demo config with the tiny model (random init)."""
    cfg = Config.fromfile(DEMO_CONFIG)
    model = tiny_model_cfg(TASKS)
    model['backbone']['always_dict'] = False
    model['data_preprocessor'] = cfg.model.data_preprocessor.to_dict()
    cfg.model = model
    cfg.visualizer.name = 'api_tests_visualizer'
    # Smaller test resize than the demo's (160, 128): faster, same path.
    for pipeline in (cfg.test_pipeline, cfg.test_dataloader.dataset.pipeline):
        (resize, ) = [t for t in pipeline if t['type'] == 'Resize']
        resize['scale'] = (80, 64)
    path = str(tmp_path_factory.mktemp('api_cfg') / 'tiny.py')
    cfg.dump(path)
    return Config.fromfile(path)


@pytest.fixture(scope='session')
def tiny_ckpt(tmp_path_factory, tiny_cfg) -> Dict[str, str]:
    """A full checkpoint of the tiny model with the dataset meta.

    Returns:
        dict: ``config`` (dumped file) and ``checkpoint``.
    """
    init_default_scope('mmseg')  # session fixtures run before autouse ones
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg.model)
    model.init_weights()
    # Non-trivial heads: random biases make every task's output vary.
    for param in model.parameters():
        param.data.add_(0.05 * torch.randn_like(param))
    folder = tmp_path_factory.mktemp('api_ckpt')
    meta = dict(
        dataset_meta=dict(PascalContextMTDataset.METAINFO, tasks=TASKS))
    path = str(folder / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    config = str(folder / 'tiny.py')
    tiny_cfg.dump(config)
    return dict(config=config, checkpoint=path)


@pytest.fixture(scope='session')
def images(tmp_path_factory) -> Dict[str, str]:
    """A folder with two jpgs, a png, a text file and a corrupt jpg apart.

    Returns:
        dict: ``folder``, ``paths`` (sorted image paths), ``corrupt``.
    """
    root = tmp_path_factory.mktemp('api_images')
    folder = root / 'imgs'
    folder.mkdir()
    rng = np.random.RandomState(0)
    paths = []
    for name in ('b.jpg', 'a.png', 'c.jpg'):
        img = rng.randint(0, 256, IMAGE_SHAPE + (3, )).astype(np.uint8)
        img[:25] = (30, 200, 90)
        path = str(folder / name)
        mmcv.imwrite(img, path)
        paths.append(path)
    (folder / 'notes.txt').write_text('not an image')
    corrupt = root / 'corrupt.jpg'
    corrupt.write_bytes(b'\xff\xd8\xff garbage')
    return dict(folder=str(folder), paths=sorted(paths), corrupt=str(corrupt))


@pytest.fixture(scope='session')
def reference(tiny_ckpt, images) -> List[Dict[str, np.ndarray]]:
    """MultiTaskInferencer's predictions for each image path, one by one."""
    from mmvmt.apis import MultiTaskInferencer
    inferencer = MultiTaskInferencer(
        tiny_ckpt['config'],
        weights=tiny_ckpt['checkpoint'],
        device='cpu',
        show_progress=False)
    return [inferencer(path)['predictions'] for path in images['paths']]
