"""Ground-truth decoders: file bytes -> pipeline maps (mmvmt.tasks)."""
import io

import numpy as np
import pytest
from PIL import Image

from mmvmt.fileio import get_decoder


def png_bytes(arr: np.ndarray, mode: str = None) -> bytes:
    buff = io.BytesIO()
    if mode == 'P':  # palette png, as the VOC annotations
        img = Image.frombytes('P', arr.shape[1::-1], arr.tobytes())
        img.putpalette(np.arange(768, dtype=np.uint8)[::-1].tolist())
    else:
        img = Image.fromarray(arr)
    img.save(buff, format='PNG')
    return buff.getvalue()


def npy_bytes(arr: np.ndarray) -> bytes:
    buff = io.BytesIO()
    np.save(buff, arr)
    return buff.getvalue()


def decode(name, content, backend='pillow'):
    return get_decoder(name)(content, backend)


def test_unknown_decoder_lists_the_known_ones():
    with pytest.raises(
            KeyError,
            match=r"unknown ground-truth decoder 'x'; "
            r"known: \[.*'class_png'.*'normals_png'"):
        get_decoder('x')


def test_class_decoders():
    labels = np.array([[0, 1, 20], [255, 3, 40]], np.uint8)
    # Palette pngs (VOC) give indices, not colours.
    out = decode('class_png', png_bytes(labels, 'P'))
    assert out.dtype == np.uint8 and np.array_equal(out, labels)
    out = decode('class_png_reduce_zero', png_bytes(labels))
    assert np.array_equal(out, [[255, 0, 19], [255, 2, 39]])
    with pytest.raises(ValueError, match='single-channel'):
        decode('class_png', png_bytes(np.zeros((2, 2, 3), np.uint8)))
    with pytest.raises(ValueError, match=r'\[0, 255\]'):
        decode(
            'class_png',
            png_bytes(np.array([[300]], np.uint16)),
            backend='cv2')


def test_binary_decoders():
    soft = np.array([[0, 127, 128, 255]], np.uint8)
    out = decode('binary_png_threshold', png_bytes(soft))
    assert out.dtype == np.uint8 and out.tolist() == [[0, 0, 1, 1]]
    binary = np.array([[0, 1, 255]], np.uint8)
    assert decode('binary_png', png_bytes(binary)).tolist() == [[0, 1, 255]]
    with pytest.raises(ValueError, match=r'\{0, 1, 255\}.*\[7\]'):
        decode('binary_png', png_bytes(np.array([[0, 7]], np.uint8)))
    edge = np.array([[0., 1., np.nan], [0.2, 0.7, 1.]], np.float32)
    out = decode('binary_npy', npy_bytes(edge))
    assert out.dtype == np.uint8 and out.tolist() == [[0, 1, 255], [0, 1, 1]]


def test_normals_png_decoder_rgb_order_and_zero_vector():
    rgb = np.array([[[255, 128, 0], [0, 0, 0], [0, 0, 1]]], np.uint8)
    for backend in ('pillow', 'cv2'):  # RGB order whatever the backend
        out = decode('normals_png', png_bytes(rgb), backend)
        assert out.dtype == np.float32 and out.shape == (1, 3, 3)
        np.testing.assert_allclose(out[0, 0], [1., 1. / 255., -1.], atol=1e-6)
        # RGB (0, 0, 0) -> the zero vector (invalid), +0.0 in every channel
        assert out[0, 1].tobytes() == np.zeros(3, np.float32).tobytes()
        np.testing.assert_allclose(
            out[0, 2], [-1., -1., -253. / 255.], atol=1e-6)


def test_normals_npy_decoder():
    arr = np.array([[[0, 0, 1], [0, 0, 0], [np.inf, 0, 0], [np.nan, 1, 0]]],
                   np.float64)
    out = decode('normals_npy', npy_bytes(arr))
    assert out.dtype == np.float32
    assert out[0, 0].tolist() == [0, 0, 1]
    assert out[0, 1:].tobytes() == np.zeros((3, 3), np.float32).tobytes()
    with pytest.raises(ValueError, match='HxWx3'):
        decode('normals_npy', npy_bytes(np.zeros((2, 2), np.float32)))


def test_depth_decoder():
    arr = np.array([[1.5, 0., np.nan, -2., np.inf]], np.float64)
    out = decode('depth_npy', npy_bytes(arr))
    assert out.dtype == np.float32 and out.tolist() == [[1.5, 0, 0, 0, 0]]
    out = decode('depth_npy', npy_bytes(arr[..., None]))  # HxWx1
    assert out.shape == (1, 5)
    with pytest.raises(ValueError, match='single-channel'):
        decode('depth_npy', npy_bytes(np.zeros((2, 2, 2))))
