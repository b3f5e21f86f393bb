"""PASCAL-Part and LabelMap .mat files: round trips and the raw layout."""
import numpy as np
import pytest
import scipy.io

from mmvmt.fileio import (PartObject, read_label_map, read_pascal_part_mat,
                          write_label_map, write_pascal_part_mat)


def _box(y0, y1, x0, x1, shape=(4, 5)):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


OBJECTS = [
    PartObject('person', 15, _box(0, 4, 0, 2),
               (('head', _box(0, 1, 0, 2)), ('torso', _box(1, 3, 0, 2)))),
    PartObject('dog', 12, _box(1, 4, 2, 5), (('head', _box(1, 2, 2, 3)), )),
    PartObject('person', 15, _box(0, 1, 4, 5)),  # no parts
]


def test_part_mat_round_trip(tmp_path):
    path = str(tmp_path / 'a.mat')
    write_pascal_part_mat(path, '2008_000001', OBJECTS)
    back = read_pascal_part_mat(path)
    assert len(back) == len(OBJECTS)
    for got, want in zip(back, OBJECTS):
        assert (got.class_name, got.class_id) == (want.class_name,
                                                  want.class_id)
        assert got.mask.dtype == bool
        assert np.array_equal(got.mask, want.mask)
        assert [n for n, _ in got.parts] == [n for n, _ in want.parts]
        for (_, gm), (_, wm) in zip(got.parts, want.parts):
            assert np.array_equal(gm, wm)
    write_pascal_part_mat(path, 'empty', [])
    assert read_pascal_part_mat(path) == []


def test_part_mat_follows_the_raw_layout(tmp_path):
    """The access path of the real PASCAL-Part files, read with scipy."""
    path = str(tmp_path / 'a.mat')
    write_pascal_part_mat(path, '2008_000001', OBJECTS)
    anno = scipy.io.loadmat(path)['anno'][0][0]
    assert str(anno[0][0]) == '2008_000001'
    objs = anno[1][0]
    assert [int(o[1][0][0]) for o in objs] == [15, 12, 15]
    assert str(objs[0][0][0]) == 'person'
    assert objs[0][2].dtype == np.uint8
    assert np.array_equal(objs[0][2], OBJECTS[0].mask)
    assert [str(p[0][0]) for p in objs[0][3][0]] == ['head', 'torso']
    assert np.array_equal(objs[0][3][0][1][1], OBJECTS[0].parts[1][1])
    assert objs[2][3].size == 0


def test_part_mat_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.mat'):
        read_pascal_part_mat(str(tmp_path / 'missing.mat'))
    (tmp_path / 'corrupt.mat').write_bytes(b'not a mat file')
    with pytest.raises(ValueError, match='corrupt.mat'):
        read_pascal_part_mat(str(tmp_path / 'corrupt.mat'))
    path = str(tmp_path / 'other.mat')
    scipy.io.savemat(path, {'something': np.zeros(2)})
    with pytest.raises(ValueError, match=r'other\.mat.*PASCAL-Part layout'):
        read_pascal_part_mat(path)


def test_label_map_round_trip(tmp_path):
    path = str(tmp_path / 'lm.mat')
    label_map = np.array([[440, 360], [0, 65535]], np.uint16)
    write_label_map(path, label_map)
    back = read_label_map(path)
    assert back.dtype == np.uint16 and np.array_equal(back, label_map)
    assert np.array_equal(scipy.io.loadmat(path)['LabelMap'], label_map)
    scipy.io.savemat(path, {'LabelMap': np.zeros((2, 2, 2))})
    with pytest.raises(ValueError, match='no 2-D LabelMap'):
        read_label_map(path)
    with pytest.raises(FileNotFoundError, match='nope.mat'):
        read_label_map(str(tmp_path / 'nope.mat'))
