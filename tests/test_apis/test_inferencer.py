"""MultiTaskInferencer: inputs, outputs in task-table units, files, errors."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from api_constants import IMAGE_SHAPE, TASKS

from mmvmt.apis import MultiTaskInferencer, config_names, resolve_config
from mmvmt.engine.checkpoint_fit import CheckpointMismatchError
from mmvmt.fileio import encode_normals


@pytest.fixture(scope='module')
def inferencer(tiny_ckpt):
    return MultiTaskInferencer(
        tiny_ckpt['config'],
        weights=tiny_ckpt['checkpoint'],
        device='cpu',
        show_progress=False)


def test_single_path_gives_every_task_in_table_units(inferencer, images):
    result = inferencer(images['paths'][0])
    preds = result['predictions']
    assert tuple(preds) == TASKS
    assert result['visualization'] is None
    for task in ('semseg', 'human_parts'):
        assert preds[task].shape == IMAGE_SHAPE
        assert preds[task].dtype == np.int64
    assert preds['semseg'].max() < 21 and preds['human_parts'].max() < 7
    assert preds['sal'].shape == IMAGE_SHAPE
    assert preds['sal'].dtype == np.float32
    assert 0 <= preds['sal'].min() and preds['sal'].max() <= 1
    normals = preds['normals']
    assert normals.shape == IMAGE_SHAPE + (3, )
    np.testing.assert_allclose(np.linalg.norm(normals, axis=-1), 1, atol=1e-5)
    # The model really varies over the image (not a constant map).
    assert len(np.unique(preds['semseg'])) > 1


def assert_same(got, want):
    assert tuple(got) == tuple(want) == TASKS
    for task in TASKS:
        np.testing.assert_array_equal(got[task], want[task])


def test_same_predictions_from_path_array_and_list(inferencer, images,
                                                   reference):
    paths, by_path = images['paths'], reference
    # Arrays are BGR, as mmcv.imread returns them.
    assert_same(inferencer(mmcv.imread(paths[1]))['predictions'], by_path[1])
    by_list = inferencer([paths[2], mmcv.imread(paths[0])])['predictions']
    assert_same(by_list[0], by_path[2])
    assert_same(by_list[1], by_path[0])
    # Batches of two images (same size): equal up to float noise.
    batched = inferencer(paths[:2], batch_size=2)['predictions']
    for got, want in zip(batched, by_path[:2]):
        for task in ('sal', 'normals'):
            np.testing.assert_allclose(got[task], want[task], atol=1e-5)
    rgb = mmcv.imread(paths[1], channel_order='rgb')
    assert not np.array_equal(
        inferencer(rgb)['predictions']['sal'], by_path[1]['sal'])


def test_folder_out_dir_writes_test_tool_files_and_drawings(
        inferencer, images, reference, tmp_path):
    out = str(tmp_path / 'out')
    result = inferencer(images['folder'], out_dir=out, return_vis=True)
    # A folder: its images sorted by name; the text file is skipped.
    preds = result['predictions']
    assert len(preds) == 3
    for got, want in zip(preds, reference):
        assert_same(got, want)
    for path, pred, vis in zip(images['paths'], preds,
                               result['visualization']):
        stem = osp.splitext(osp.basename(path))[0]
        semseg = mmcv.imread(
            osp.join(out, 'semseg', f'{stem}.png'), flag='unchanged')
        np.testing.assert_array_equal(semseg, pred['semseg'])
        sal = mmcv.imread(
            osp.join(out, 'sal', f'{stem}.png'), flag='unchanged')
        np.testing.assert_array_equal(sal, np.round(pred['sal'] * 255))
        normals = mmcv.imread(
            osp.join(out, 'normals', f'{stem}.png'), channel_order='rgb')
        np.testing.assert_array_equal(normals, encode_normals(pred['normals']))
        drawing = mmcv.imread(
            osp.join(out, 'vis', f'{stem}.png'), channel_order='rgb')
        np.testing.assert_array_equal(drawing, vis)
        # One prediction row (image + 4 tasks) and the legend band below.
        assert drawing.shape[1] == 5 * IMAGE_SHAPE[1]
        assert drawing.shape[0] > IMAGE_SHAPE[0]
    # Arrays are named by their index in the inputs.
    inferencer([mmcv.imread(images['paths'][0])], out_dir=out)
    assert osp.isfile(osp.join(out, 'semseg', '00000000.png'))


def test_return_datasamples(inferencer, images):
    (sample, ) = inferencer([images['paths'][0]],
                            return_datasamples=True)['predictions']
    assert sample.pred_normals.data.shape == (3, ) + IMAGE_SHAPE
    assert sample.img_path == images['paths'][0]


def test_bad_inputs_name_the_file(inferencer, images, tmp_path):
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inferencer(missing)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inferencer([images['paths'][0], missing])
    with pytest.raises(ValueError, match='corrupt.jpg'):
        inferencer(images['corrupt'])
    with pytest.raises(ValueError, match=r'#0 must be an H x W x 3 uint8'):
        inferencer(np.zeros(IMAGE_SHAPE, np.uint8))
    with pytest.raises(FileNotFoundError, match='holds no image'):
        inferencer(str(tmp_path))
    with pytest.raises(TypeError, match='image path or a numpy array'):
        inferencer([3])
    twin = tmp_path / 'other'
    twin.mkdir()
    copy = str(twin / osp.basename(images['paths'][0]))
    mmcv.imwrite(mmcv.imread(images['paths'][0]), copy)
    with pytest.raises(ValueError, match='would both write'):
        inferencer([images['paths'][0], copy], out_dir=str(tmp_path / 'o'))


def test_bad_model_or_weights_name_the_file(tiny_ckpt, tmp_path):
    config = tiny_ckpt['config']
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        MultiTaskInferencer(config, weights=str(tmp_path / 'nope.pth'))
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='cannot read checkpoint .*empty'):
        MultiTaskInferencer(config, weights=str(empty))
    with pytest.raises(FileNotFoundError, match='swin-t_pascal_demo'):
        MultiTaskInferencer('no_such_model')
    # A checkpoint of another model: every problem is listed.
    ckpt = torch.load(tiny_ckpt['checkpoint'], weights_only=False)
    state = ckpt['state_dict']
    del state['decode_heads.sal.conv_seg.weight']
    state['decode_heads.depth.conv_seg.bias'] = torch.zeros(1)
    state['decode_heads.semseg.conv_seg.bias'] = torch.zeros(40)
    bad = str(tmp_path / 'other_model.pth')
    torch.save(ckpt, bad)
    with pytest.raises(CheckpointMismatchError) as info:
        MultiTaskInferencer(config, weights=bad)
    msg = str(info.value)
    assert 'other_model.pth does not fit' in msg
    assert '1 missing key(s): decode_heads.sal.conv_seg.weight' in msg
    assert '1 unexpected key(s): decode_heads.depth.conv_seg.bias' in msg
    assert 'decode_heads.semseg.conv_seg.bias (checkpoint [40], ' \
        'model [21])' in msg


def test_config_names():
    assert 'swin-t_pascal_demo' in config_names()
    cfg = resolve_config('swin-t_pascal_demo')
    assert cfg.model.type == 'MultiTaskEncoderDecoder'
    with pytest.raises(TypeError, match='config path'):
        resolve_config(3)


def test_dataset_meta_falls_back_to_the_config_dataset(tiny_ckpt, tmp_path):
    ckpt = torch.load(tiny_ckpt['checkpoint'], weights_only=False)
    path = str(tmp_path / 'no_meta.pth')
    torch.save(dict(state_dict=ckpt['state_dict']), path)
    inferencer = MultiTaskInferencer(tiny_ckpt['config'], weights=path)
    meta = inferencer.model.dataset_meta
    assert meta['task_classes']['human_parts'][1] == 'head'
    assert meta['tasks'] == TASKS
    assert inferencer.visualizer.dataset_meta == meta
