"""Prediction writers: the values and channel order that land on disk."""
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from mmvmt.fileio import (get_decoder, get_prediction_writer, write_image,
                          write_prediction)
from mmvmt.tasks import BINARY, CLASS, DEPTH, NORMALS


def test_class_ids_png_round_trip(tmp_path):
    ids = np.array([[[0, 1, 20], [6, 39, 255]]], np.int64)  # (1, H, W)
    path = write_prediction('semseg', ids, str(tmp_path / 'semseg' / 'a'))
    assert path == str(tmp_path / 'semseg' / 'a.png')
    back = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint8 and back.ndim == 2
    assert back.tolist() == ids[0].tolist()
    assert np.asarray(Image.open(path)).tolist() == ids[0].tolist()


def test_binary_probability_times_255_rounded(tmp_path):
    prob = np.array([[[0., 0.25, 0.5, 1.], [0.001, 0.002, 0.998, 0.7]]],
                    np.float32)
    path = get_prediction_writer(BINARY)(prob, str(tmp_path / 'sal'))
    back = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    # round(p * 255): 63.75 -> 64, 127.5 -> 128 (half to even), 0.255 -> 0,
    # 0.51 -> 1, 254.49 -> 254, float32(0.7) * 255 = 178.49.. -> 178
    assert back.tolist() == [[0, 64, 128, 255], [0, 1, 254, 178]]


def test_depth_npy_float32_values(tmp_path):
    depth = np.array([[[0., 1.25, 3.1415927], [1e-3, 80.5, 7.]]], np.float64)
    path = write_prediction('depth', depth, str(tmp_path / 'd' / 'x'))
    assert path.endswith('x.npy')
    back = np.load(path)
    assert back.dtype == np.float32 and back.shape == (2, 3)
    assert back.tobytes() == depth[0].astype(np.float32).tobytes()


def test_normals_channel_order_on_disk_is_rgb_xyz(tmp_path):
    # x = 1 (right), y = -1 (down), z = 0: R = 255, G = 0, B = 128.
    normals = np.zeros((3, 2, 2), np.float32)
    normals[:, 0, 0] = [1., -1., 0.]
    normals[:, 0, 1] = [0., 0., 1.]  # facing the camera: (128, 128, 255)
    normals[:, 1, :] = [[0.6], [-0.5], [0.]]
    path = write_prediction('normals', normals, str(tmp_path / 'n'))
    assert path.endswith('n.png')
    rgb = np.asarray(Image.open(path).convert('RGB'))
    assert rgb[0, 0].tolist() == [255, 0, 128]
    assert rgb[0, 1].tolist() == [128, 128, 255]
    assert rgb[1, 0].tolist() == [204, 64, 128]
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)  # OpenCV reads BGR
    assert bgr[0, 0].tolist() == [128, 0, 255]


def test_writers_are_registered_per_kind(tmp_path):
    pred = np.ones((1, 2, 2), np.float32)
    for task, kind, suffix in (('human_parts', CLASS, '.png'),
                               ('edge', BINARY, '.png'), ('depth', DEPTH,
                                                          '.npy')):
        by_task = write_prediction(task, pred, str(tmp_path / task))
        by_kind = get_prediction_writer(kind)(pred, str(tmp_path / kind))
        assert by_task.endswith(suffix) and by_kind.endswith(suffix)
        with open(by_task, 'rb') as a, open(by_kind, 'rb') as b:
            assert a.read() == b.read()
    assert get_prediction_writer(NORMALS) is not get_prediction_writer(CLASS)
    with pytest.raises(KeyError, match=r"unknown prediction writer 'vec'"):
        get_prediction_writer('vec')
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        write_prediction('segm', pred, str(tmp_path / 'x'))


def test_write_image_channel_order_and_errors(tmp_path):
    rgb = np.zeros((1, 1, 3), np.uint8)
    rgb[0, 0] = [10, 20, 30]
    path = write_image(str(tmp_path / 'sub' / 'rgb.png'), rgb, 'rgb')
    assert osp.isfile(path)
    assert np.asarray(Image.open(path))[0, 0].tolist() == [10, 20, 30]
    write_image(str(tmp_path / 'bgr.png'), rgb)  # stored as given (BGR)
    assert np.asarray(Image.open(str(tmp_path / 'bgr.png')))[0, 0].tolist() \
        == [30, 20, 10]
    with pytest.raises(ValueError, match='channel_order'):
        write_image(str(tmp_path / 'x.png'), rgb, 'rbg')
    with pytest.raises(OSError, match='cannot write'):
        write_image(str(tmp_path / 'x.unknown_ext'), rgb)


def test_ground_truth_decoders_read_the_written_files(tmp_path):
    """Writers and decoders agree on every format (a full round trip)."""
    rng = np.random.default_rng(0)
    normals = rng.normal(size=(3, 4, 5)).astype(np.float32)
    normals /= np.linalg.norm(normals, axis=0, keepdims=True)
    preds = dict(
        semseg=rng.integers(0, 21, (1, 4, 5)),
        sal=rng.uniform(0, 1, (1, 4, 5)).astype(np.float32),
        normals=normals,
        depth=rng.uniform(0.5, 9, (1, 4, 5)).astype(np.float32))
    decoders = dict(
        semseg='class_png',
        sal='binary_png_threshold',
        normals='normals_png',
        depth='depth_npy')
    for task, pred in preds.items():
        path = write_prediction(task, pred, str(tmp_path / task))
        with open(path, 'rb') as f:
            back = get_decoder(decoders[task])(f.read(), 'cv2')
        if task == 'normals':
            np.testing.assert_allclose(
                back, pred.transpose(1, 2, 0), atol=1. / 255. + 1e-6)
        elif task == 'sal':
            expected = np.round(pred[0] * 255) / 255 > 0.5
            assert np.array_equal(back, expected.astype(np.uint8))
        else:
            assert np.array_equal(back, pred[0])
