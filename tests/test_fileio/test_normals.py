"""The RGB encoding of surface normals."""
import numpy as np
import pytest

from mmvmt.fileio import decode_normals, encode_normals


def test_encode_known_values():
    n = np.array([[1., 0., -1.], [0.6, -0.5, 0.]])
    assert encode_normals(n).tolist() == [[255, 128, 0], [204, 64, 128]]
    assert encode_normals(np.array([2., -3., 1.])).tolist() == [255, 0, 255]


def test_decode_inverts_encode_up_to_quantisation():
    rng = np.random.default_rng(0)
    n = rng.normal(size=(5, 7, 3))
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    out = decode_normals(encode_normals(n))
    assert out.dtype == np.float32 and out.shape == n.shape
    np.testing.assert_allclose(out, n, atol=1. / 255. + 1e-6)


def test_decode_reserved_black_is_the_zero_vector():
    rgb = np.array([[[0, 0, 0], [0, 0, 1], [128, 255, 128]]], np.uint8)
    out = decode_normals(rgb)
    assert out[0, 0].tolist() == [0, 0, 0]
    assert (out[0, 1] != 0).all()
    np.testing.assert_allclose(out[0, 2], [1 / 255, 1, 1 / 255], atol=1e-6)
    with pytest.raises(ValueError, match='8-bit RGB'):
        decode_normals(np.zeros((2, 2, 3), np.float32))
