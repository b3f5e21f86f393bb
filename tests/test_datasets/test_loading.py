"""LoadMultiTaskAnnotations (the decoders: tests/test_fileio)."""
import io
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.transforms.loading import LoadMultiTaskAnnotations


def png_bytes(arr: np.ndarray) -> bytes:
    buff = io.BytesIO()
    Image.fromarray(arr).save(buff, format='PNG')
    return buff.getvalue()


def _results(tmp_path, task, decoder, content, **extra):
    path = str(tmp_path / f'{task}.bin')
    with open(path, 'wb') as f:
        f.write(content)
    return dict(
        tasks=(task, ),
        ann_decoders={task: decoder},
        seg_fields=[],
        **{f'{task}_path': path},
        **extra)


def test_transform_errors(tmp_path):
    load = LoadMultiTaskAnnotations()
    # No task list (an image without annotations): nothing to load.
    assert load(dict(img_path='x')) == dict(img_path='x')
    with pytest.raises(KeyError, match='no decoder for task'):
        load(dict(tasks=('sal', ), sal_path='x', ann_decoders={}))
    with pytest.raises(KeyError, match="'sal_path'"):
        load(dict(tasks=('sal', ), ann_decoders=dict(sal='binary_png')))
    with pytest.raises(KeyError, match='unknown task'):
        load(dict(tasks=('segm', ), ann_decoders={}))
    with pytest.raises(KeyError, match="unknown ground-truth decoder 'x'"):
        load(dict(tasks=('sal', ), sal_path='x', ann_decoders=dict(sal='x')))
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load(
            dict(
                tasks=('sal', ),
                sal_path=missing,
                ann_decoders=dict(sal='binary_png')))
    # Corrupt png: the message names the file, whatever the backend.
    for backend in ('pillow', 'cv2'):
        res = _results(tmp_path, 'semseg', 'class_png', b'\x89PNG garbage')
        with pytest.raises(ValueError, match=r'semseg\.bin'):
            LoadMultiTaskAnnotations(imdecode_backend=backend)(res)
    res = _results(tmp_path, 'depth', 'depth_npy', b'not npy')
    with pytest.raises(ValueError, match=r'depth\.bin.*depth_npy'):
        load(res)
    # Decoder not fit for the task (uint8 map for a float task).
    res = _results(tmp_path, 'depth', 'class_png',
                   png_bytes(np.zeros((2, 2), np.uint8)))
    with pytest.raises(ValueError, match='expected float32'):
        load(res)
    # Annotation size differs from the image size.
    res = _results(
        tmp_path,
        'sal',
        'binary_png',
        png_bytes(np.zeros((2, 3), np.uint8)),
        ori_shape=(4, 3))
    with pytest.raises(ValueError, match=r'sal\.bin has size \(2, 3\)'):
        load(res)


def test_transform_adds_fields(tmp_path):
    res = _results(
        tmp_path,
        'sal',
        'binary_png',
        png_bytes(np.ones((2, 3), np.uint8)),
        ori_shape=(2, 3))
    res['seg_fields'] = ['gt_sal']
    out = LoadMultiTaskAnnotations()(res)
    assert out['seg_fields'] == ['gt_sal']  # no duplicate
    assert out['gt_sal'].tolist() == [[1, 1, 1], [1, 1, 1]]
    assert 'LoadMultiTaskAnnotations' in repr(LoadMultiTaskAnnotations())


def test_decodes_pascal_demo(demo):
    root, labels = demo
    ds = PascalContextMTDataset(
        osp.join(root, 'PASCAL_MT'),
        split='val',
        tasks=('semseg', 'human_parts', 'sal', 'normals', 'edge'))
    load = LoadMultiTaskAnnotations()
    seen_no_person = seen_invalid = False
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        img_id = osp.basename(info['img_path'])[:-4]
        lab = labels['PASCAL_MT'][img_id]
        res = load(dict(info, ori_shape=lab['semseg'].shape))
        assert res['seg_fields'] == [
            'gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals', 'gt_edge'
        ]
        for task in ('semseg', 'human_parts', 'sal', 'edge'):
            gt = res[f'gt_{task}']
            assert gt.dtype == np.uint8 and gt.shape == lab['semseg'].shape
            assert np.array_equal(gt, lab[task]), (task, img_id)
        assert set(np.unique(res['gt_sal'])) <= {0, 1}
        assert set(np.unique(res['gt_human_parts'])) <= set(range(7)) | {255}
        normals = res['gt_normals']
        assert normals.dtype == np.float32 and normals.shape[2] == 3
        invalid = (lab['normals_png'] == 0).all(-1)
        assert (normals[invalid] == 0).all()  # the zero vector
        expected = lab['normals_png'][~invalid].astype(
            np.float32) * 2 / 255 - 1
        np.testing.assert_allclose(normals[~invalid], expected, atol=1e-6)
        # Valid normals are (quantised) unit vectors.
        np.testing.assert_allclose(
            np.linalg.norm(normals[~invalid], axis=-1), 1., atol=0.02)
        seen_no_person |= bool((res['gt_human_parts'] == 255).all())
        seen_invalid |= bool(invalid.any() and (~invalid).any())
    assert seen_no_person and seen_invalid


def test_decodes_nyud_demo(demo):
    root, labels = demo
    ds = NYUDv2MTDataset(
        osp.join(root, 'NYUD_MT'),
        split='train',
        tasks=('semseg', 'depth', 'normals', 'edge'))
    load = LoadMultiTaskAnnotations()
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        lab = labels['NYUD_MT'][osp.basename(info['img_path'])[:-4]]
        res = load(dict(info))
        raw = cv2.imread(info['semseg_path'], cv2.IMREAD_UNCHANGED)
        sem = res['gt_semseg']
        assert sem.dtype == np.uint8
        assert (sem[raw == 0] == 255).all()  # unlabelled -> ignore
        assert np.array_equal(sem[raw > 0], raw[raw > 0] - 1)
        assert np.array_equal(sem, lab['semseg'])
        assert res['gt_depth'].dtype == np.float32
        assert np.array_equal(res['gt_depth'], lab['depth'])
        assert np.array_equal(res['gt_normals'], lab['normals'])
        assert np.array_equal(res['gt_edge'], lab['edge'])
        # Invalid depth and invalid normals coincide in the demo set.
        assert np.array_equal(res['gt_depth'] == 0,
                              (res['gt_normals'] == 0).all(-1))
