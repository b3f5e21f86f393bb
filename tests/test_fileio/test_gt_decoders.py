"""Ground-truth decoders: file bytes -> pipeline maps (mmvmt.tasks)."""
import io

import numpy as np
import pytest
from PIL import Image

from mmvmt.fileio import RefusedValues, decoder_repr, get_decoder


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


def test_a_01_saliency_export_is_refused_by_the_threshold():
    """png/255 > 0.5 would make a 0/1 map all background (issue 17)."""
    for values in ([[0, 1, 1]], [[1, 1]]):
        with pytest.raises(RefusedValues) as info:
            decode('binary_png_threshold',
                   png_bytes(np.array(values, np.uint8)))
        assert f'only the values {sorted(set(values[0]))}' in str(info.value)
        assert info.value.accepted_by == 'binary_png'
    # The decoder it names reads the map as meant.
    assert decode('binary_png',
                  png_bytes(np.array([[0, 1]], np.uint8))).tolist() == [[0, 1]]
    # An all-background map is the same under both readings: accepted.
    assert decode('binary_png_threshold',
                  png_bytes(np.zeros((2, 2), np.uint8))).tolist() == [[0, 0],
                                                                      [0, 0]]


def test_a_0_255_map_is_refused_by_the_binary_reader():
    """255 = ignore would make a 0/255 export all background or ignored."""
    export = png_bytes(np.array([[0, 255, 255, 0]], np.uint8))
    with pytest.raises(RefusedValues, match=r'\[0, 255\].*50\.0%') as info:
        decode('binary_png', export)
    assert info.value.accepted_by == 'binary_png_threshold'
    assert decode('binary_png_threshold', export).tolist() == [[0, 1, 1, 0]]
    out = get_decoder(dict(type='binary_png',
                           allow_no_foreground=True))(export, 'pillow')
    assert out.tolist() == [[0, 255, 255, 0]]


def test_integer_depth_needs_a_scale():
    """uint16 millimetres (raw Kinect) must not be read as metres."""
    mm = np.array([[1500, 0, 65535]], np.uint16)
    with pytest.raises(
            RefusedValues,
            match=r'dtype uint16 \(values 0\.\.65535\)') as info:
        decode('depth_npy', npy_bytes(mm))
    assert info.value.accepted_by == dict(type='depth_npy', scale=0.001)
    out = get_decoder(dict(type='depth_npy', scale=0.001))(npy_bytes(mm),
                                                           'pillow')
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1.5, 0., 65.535]], rtol=1e-6)
    # NaN/inf/negative stay invalid (0) with a scale too.
    arr = np.array([[np.nan, np.inf, -1., 2000.]], np.float32)
    out = get_decoder(dict(type='depth_npy', scale=0.001))(npy_bytes(arr),
                                                           'pillow')
    assert out.tolist() == [[0., 0., 0., 2.]]
    for bad in (0, -1., float('nan'), True, '0.001'):
        with pytest.raises(ValueError, match='scale must be a positive'):
            get_decoder(dict(type='depth_npy', scale=bad))(npy_bytes(mm),
                                                           'pillow')


def test_decoder_options_are_checked_when_looked_up():
    with pytest.raises(TypeError, match=r"takes the options \['scale'\]"):
        get_decoder(dict(type='depth_npy', scael=0.001))
    with pytest.raises(TypeError, match="name under 'type'"):
        get_decoder(dict(scale=0.001))
    assert decoder_repr(dict(type='depth_npy', scale=0.001)) == \
        "dict(type='depth_npy', scale=0.001)"
    assert decoder_repr('binary_png') == "'binary_png'"
