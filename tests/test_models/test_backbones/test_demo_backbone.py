"""The shipped demo backbone (demo/weights/swin-demo_source-seg.pth): its
provenance file, and that every loader puts exactly its weights into the
demo models; and the pretraining tool end to end on a tiny run."""
import hashlib
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.models.backbones import SwinTransformer
from mmseg.registry import MODELS

from mmvmt.testing.demo_data.source import SOURCE_CLASSES, generate_source_set

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DEMO_SWIN = osp.join(REPO, 'configs', '_base_', 'models', 'swin-demo.py')
DEMO_CONFIGS = ('swin-t_pascal_demo.py', 'swin-t-lite_pascal_demo.py',
                'swin-t_nyud_demo.py')


def demo_swin() -> Config:
    return Config.fromfile(DEMO_SWIN)


def shipped_path() -> str:
    return osp.join(REPO, demo_swin().demo_swin_checkpoint)


def shipped_weights() -> dict:
    """The shipped file's backbone tensors, without the prefix, as fp32."""
    ckpt = torch.load(shipped_path(), map_location='cpu', weights_only=True)
    return {k[len('backbone.'):]: v for k, v in ckpt['state_dict'].items()}


def assert_loaded_exactly(module: torch.nn.Module, weights: dict) -> None:
    """Every shipped tensor equals the module's, bit for bit."""
    state = module.state_dict()
    missing = sorted(set(weights) - set(state))
    assert not missing, missing
    for key, value in weights.items():
        expected = value.to(state[key].dtype)
        assert torch.equal(state[key], expected), key


def stock_demo_swin(**kwargs) -> dict:
    swin = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', 'swin-t_stock.py'))
    cfg = dict(swin.stock_swin, **demo_swin().demo_swin_arch)
    cfg.update(kwargs)
    cfg.pop('type')
    return cfg


def test_provenance_file_matches_the_weights():
    path = shipped_path()
    with open(path, 'rb') as f:
        data = f.read()
    with open(osp.splitext(path)[0] + '.json') as f:
        meta = json.load(f)
    assert hashlib.sha256(data).hexdigest() == meta['sha256']
    assert len(data) == meta['bytes'] < 8 * 2**20
    assert meta['arch'] == demo_swin().demo_swin_arch
    assert meta['source_set']['classes'] == list(SOURCE_CLASSES)
    assert meta['command'].startswith(
        'python tools/misc/pretrain_demo_backbone.py')
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert ckpt['meta'] == {
        k: v
        for k, v in meta.items() if k not in ('sha256', 'bytes')
    }
    floats = [v for v in ckpt['state_dict'].values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float16 for v in floats)


def test_mmseg_swin_loads_the_file_exactly(monkeypatch):
    monkeypatch.chdir(REPO)  # the configs name the file relative to the repo
    swin = SwinTransformer(**stock_demo_swin(
        init_cfg=demo_swin().demo_swin_init_cfg))
    swin.init_weights()
    weights = shipped_weights()
    assert set(weights) == set(swin.state_dict())
    assert_loaded_exactly(swin, weights)


def test_mmpretrain_swin_loads_the_file_exactly():
    from mmpretrain.models import SwinTransformer as PretrainSwin
    arch = demo_swin().demo_swin_arch
    swin = PretrainSwin(
        arch=dict(arch),
        window_size=7,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,  # mmseg's Swin pads small maps too
        drop_path_rate=0.,
        init_cfg=dict(
            type='Pretrained', checkpoint=shipped_path(), prefix='backbone.'))
    swin.init_weights()
    weights = shipped_weights()
    assert_loaded_exactly(swin, weights)
    # and the two Swins compute the same features from them
    stock = SwinTransformer(**stock_demo_swin(init_cfg=None))
    stock.load_state_dict({k: v.float() for k, v in weights.items()})
    stock.eval()  # (mmseg's and mmpretrain's train() return None)
    swin.eval()
    img = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for ours, theirs in zip(stock(img), swin(img)):
            torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('name', DEMO_CONFIGS)
def test_demo_configs_load_the_file_exactly(name, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'vmt', name))
    assert cfg.model.backbone.init_cfg == demo_swin().demo_swin_init_cfg
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert_loaded_exactly(model.backbone, shipped_weights())


def test_pretraining_tool_end_to_end(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
    try:
        import pretrain_demo_backbone as tool
    finally:
        sys.path.pop(0)
    root = str(tmp_path / 'SOURCE')
    out = str(tmp_path / 'weights' / 'swin.pth')
    args = [
        '--config',
        osp.join(REPO, 'configs', 'pretrain_demo',
                 'swin-demo_source-seg.py'), '--data-root', root, '--work-dir',
        str(tmp_path / 'work'), '--out', out, '--num-train', '4', '--num-val',
        '2', '--max-iters', '2'
    ]
    assert tool.main(args) == 0
    with open(out, 'rb') as f:
        data = f.read()
    with open(osp.splitext(out)[0] + '.json') as f:
        meta = json.load(f)
    assert meta['sha256'] == hashlib.sha256(data).hexdigest()
    assert meta['training']['max_iters'] == 2
    assert 'mIoU' in meta['source_val']
    # the export is the mmseg layout: a stock Swin takes it strictly
    ckpt = torch.load(out, map_location='cpu', weights_only=True)
    stock = SwinTransformer(**stock_demo_swin(init_cfg=None))
    stock.load_state_dict(
        {
            k[len('backbone.'):]: v
            for k, v in ckpt['state_dict'].items()
        },
        strict=True)
    # a set of other options is refused, naming the folder
    with pytest.raises(FileExistsError, match='SOURCE.*4 train / 2 val'):
        tool.main(args[:-4] + ['--num-train', '5', '--num-val', '2'])


def test_source_set_labels_and_bad_input(tmp_path):
    with pytest.raises(ValueError, match='positive'):
        generate_source_set(str(tmp_path), num_train=0)
    with pytest.raises(ValueError, match='H, W >= 32'):
        generate_source_set(str(tmp_path), size=(16, 64))
    counts = generate_source_set(
        str(tmp_path / 'S'), num_train=3, num_val=2, size=(64, 80), seed=5)
    assert counts == dict(train=3, val=2)
    labels = cv2.imread(
        str(tmp_path / 'S' / 'ann_dir' / 'val' / '00004.png'),
        cv2.IMREAD_UNCHANGED)
    assert labels.shape == (64, 80) and labels.dtype == np.uint8
    assert labels.max() < len(SOURCE_CLASSES)
    # the pretraining config names the same classes
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'pretrain_demo', 'swin-demo_source-seg.py'))
    assert tuple(cfg.source_classes) == SOURCE_CLASSES
    assert cfg.model.decode_head.num_classes == len(SOURCE_CLASSES)
    # and normalises images as the multi-task models it is transferred to
    target = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', 'vmt_swin-t.py'))
    for key in ('mean', 'std', 'bgr_to_rgb'):
        assert cfg.data_preprocessor[key] == target.data_preprocessor[key]
