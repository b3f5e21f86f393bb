"""mmseg's own APIs on mmvmt configs; show_result_pyplot; the demo script."""
import importlib.util
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from api_constants import IMAGE_SHAPE, REPO, TASKS
from mmseg.apis import MMSegInferencer, inference_model, init_model

from mmvmt.apis import MultiTaskInferencer, show_result_pyplot
from mmvmt.apis.outputs import prediction_arrays
from mmvmt.engine.checkpoint_fit import CheckpointMismatchError
from mmvmt.engine.hooks.trainable_checkpoint_hook import \
    TRAINABLE_ONLY_META_KEY
from mmvmt.structures import MultiTaskDataSample


@pytest.fixture
def ours(reference):
    """MultiTaskInferencer's predictions per image path."""
    return reference


def assert_same(got, want):
    assert tuple(got) == tuple(want) == TASKS
    for task in TASKS:
        np.testing.assert_array_equal(got[task], want[task])


def test_init_model_and_inference_model(tiny_ckpt, images, ours):
    model = init_model(
        tiny_ckpt['config'], tiny_ckpt['checkpoint'], device='cpu')
    result = inference_model(model, images['paths'][0])
    assert isinstance(result, MultiTaskDataSample)
    assert_same(prediction_arrays(result), ours[0])
    # A list gives a list (one batch: equal up to float noise).
    results = inference_model(model, images['paths'][:2])
    assert [r.img_path for r in results] == images['paths'][:2]
    # Arrays are BGR, as mmcv reads them. (mmseg then keeps the array
    # loader in model.cfg: paths fail on this model from here on.)
    for path, want in zip(images['paths'][1:], ours[1:]):
        result = inference_model(model, mmcv.imread(path))
        assert_same(prediction_arrays(result), want)
    # mmvmt's show_result_pyplot draws every task (mmseg's draws nothing).
    out = osp.join(osp.dirname(tiny_ckpt['checkpoint']), 'shown.png')
    drawn = show_result_pyplot(
        model, images['paths'][0], results[0], show=False, out_file=out)
    assert drawn.shape[1] == 5 * IMAGE_SHAPE[1]
    np.testing.assert_array_equal(mmcv.imread(out, channel_order='rgb'), drawn)


def test_mmseg_inferencer_returns_datasamples(tiny_ckpt, images, ours):
    inferencer = MMSegInferencer(
        tiny_ckpt['config'], tiny_ckpt['checkpoint'], device='cpu')
    sample = inferencer(images['paths'][0], return_datasamples=True)
    assert_same(prediction_arrays(sample), ours[0])


def test_trainable_only_checkpoint_needs_a_pretrained_init(
        tiny_ckpt, tmp_path):
    ckpt = torch.load(tiny_ckpt['checkpoint'], weights_only=False)
    ckpt['meta'][TRAINABLE_ONLY_META_KEY] = True
    ckpt['state_dict'] = {
        k: v
        for k, v in ckpt['state_dict'].items()
        if not k.startswith('backbone.stages') or '.adapter.' in k
    }
    path = str(tmp_path / 'adapter_only.pth')
    torch.save(ckpt, path)
    with pytest.raises(
            CheckpointMismatchError,
            match='adapter_only.pth holds only trainable weights.*'
            'no pretrained backbone'):
        MultiTaskInferencer(tiny_ckpt['config'], weights=path)


def load_demo():
    path = osp.join(REPO, 'demo', 'image_demo.py')
    spec = importlib.util.spec_from_file_location('mmvmt_image_demo', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_image_demo(tiny_ckpt, images, ours, tmp_path, capsys):
    demo = load_demo()
    out_file = str(tmp_path / 'vis' / 'demo.png')
    out_dir = str(tmp_path / 'outputs')
    result = demo.main([
        images['paths'][0], tiny_ckpt['config'], tiny_ckpt['checkpoint'],
        '--out-file', out_file, '--out-dir', out_dir, '--device', 'cpu'
    ])
    assert_same(result['predictions'], ours[0])
    drawing = mmcv.imread(out_file, channel_order='rgb')
    np.testing.assert_array_equal(drawing, result['visualization'])
    stem = osp.splitext(osp.basename(images['paths'][0]))[0]
    for task in TASKS:
        assert osp.isfile(osp.join(out_dir, task, f'{stem}.png'))
    printed = capsys.readouterr().out
    assert f'drawing written to {out_file}' in printed
    assert 'normals: float32 (50, 70, 3)' in printed
    with pytest.raises(SystemExit, match='--out-file takes a single image'):
        demo.main([
            images['folder'], tiny_ckpt['config'], tiny_ckpt['checkpoint'],
            '--out-file', out_file
        ])
