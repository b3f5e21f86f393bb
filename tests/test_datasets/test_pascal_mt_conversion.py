"""The PASCAL_MT converter reproduces the intended label maps exactly."""
import os
import os.path as osp
import runpy
import shutil
import sys

import cv2
import numpy as np
import pytest
import scipy.io

from mmvmt.datasets import PascalContextMTDataset
from mmvmt.datasets import pascal_mt_conversion as conversion
from mmvmt.datasets.pascal_mt_conversion import (CONVERTED_DIRS,
                                                 convert_pascal_mt,
                                                 converter_command,
                                                 human_parts_from_mat,
                                                 mask_normals)
from mmvmt.fileio import PartObject, write_pascal_part_mat

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def write_parts_mat(path, objects):
    """objects: list of (class_ind, instance mask, [(part, mask), ...])."""
    write_pascal_part_mat(
        path, 'x',
        [PartObject('x', c, m, tuple(parts)) for c, m, parts in objects])


def box(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_human_parts_rules(tmp_path):
    shape = (6, 8)
    path = str(tmp_path / 'a.mat')
    person = box(shape, 0, 6, 0, 4)
    write_parts_mat(
        path,
        [
            # A dog's 'head' must not count: only person objects (class 15).
            (12, box(shape, 0, 6, 4, 8), [('head', box(shape, 0, 3, 4, 8))]),
            # torso, then lhand over part of it: later parts overwrite.
            (15, person, [('torso', box(shape, 0, 4, 0, 4)),
                          ('lhand', box(shape, 2, 4, 0, 2)),
                          ('rfoot', box(shape, 5, 6, 0, 4))]),
            (15, box(shape, 0, 1, 4, 8), []),  # person without parts
        ])
    expected = np.zeros(shape, np.uint8)
    expected[0:4, 0:4] = 2
    expected[2:4, 0:2] = 4
    expected[5, 0:4] = 6  # row 4 of the person: covered by no part -> 0
    assert np.array_equal(human_parts_from_mat(path, shape), expected)

    # No person with parts -> no human-part labels at all.
    write_parts_mat(path, [(15, person, []), (12, person, [('head', person)])])
    out = human_parts_from_mat(path, shape)
    assert out.dtype == np.uint8 and (out == 255).all()
    write_parts_mat(path, [])
    assert (human_parts_from_mat(path, shape) == 255).all()


def test_human_parts_errors(tmp_path):
    shape = (4, 4)
    path = str(tmp_path / 'bad.mat')
    write_parts_mat(
        path,
        [(15, box(shape, 0, 4, 0, 4), [('tail', box(shape, 0, 1, 0, 1))])])
    with pytest.raises(
            ValueError, match=r"bad\.mat.*unknown person part "
            r"'tail'"):
        human_parts_from_mat(path, shape)
    write_parts_mat(
        path, [(15, box(shape, 0, 4, 0, 4), [('head', box(
            (5, 4), 0, 1, 0, 1))])])
    with pytest.raises(ValueError, match=r'bad\.mat.*shape \(5, 4\)'):
        human_parts_from_mat(path, shape)
    scipy.io.savemat(path, {'something': np.zeros(2)})
    with pytest.raises(ValueError, match='PASCAL-Part layout'):
        human_parts_from_mat(path, shape)
    with pytest.raises(FileNotFoundError, match='missing.mat'):
        human_parts_from_mat(str(tmp_path / 'missing.mat'), shape)
    (tmp_path / 'corrupt.mat').write_bytes(b'not a mat file')
    with pytest.raises(ValueError, match='corrupt.mat'):
        human_parts_from_mat(str(tmp_path / 'corrupt.mat'), shape)


def test_mask_normals():
    rgb = np.full((2, 3, 3), 200, np.uint8)
    # wall (440) is a NYU class -> valid; sky (360) is not -> (0, 0, 0).
    label_map = np.array([[440, 360, 440], [360, 0, 284]], np.uint16)
    out = mask_normals(rgb, label_map)
    valid = np.array([[1, 0, 1], [0, 0, 1]], bool)
    assert (out[valid] == 200).all() and (out[~valid] == 0).all()
    assert (rgb == 200).all()  # input untouched


def test_converter_reproduces_intended_labels(demo_raw, tmp_path):
    src, labels = demo_raw
    root = str(tmp_path / 'PASCAL_MT')
    shutil.copytree(osp.join(src, 'PASCAL_MT'), root)
    assert convert_pascal_mt(
        root, progress=False) == (len(labels['PASCAL_MT']), [])
    n_no_person = 0
    for img_id, lab in labels['PASCAL_MT'].items():
        parts = cv2.imread(
            osp.join(root, CONVERTED_DIRS['human_parts'], img_id + '.png'),
            cv2.IMREAD_UNCHANGED)
        normals = cv2.imread(
            osp.join(root, CONVERTED_DIRS['normals'], img_id + '.png'),
            cv2.IMREAD_UNCHANGED)[..., ::-1]  # stored RGB
        edge = cv2.imread(
            osp.join(root, CONVERTED_DIRS['edge'], img_id + '.png'),
            cv2.IMREAD_UNCHANGED)
        assert parts.dtype == np.uint8 and parts.ndim == 2
        assert np.array_equal(parts, lab['human_parts']), img_id
        assert np.array_equal(normals, lab['normals_png']), img_id
        assert np.array_equal(edge, lab['edge']), img_id
        n_no_person += int((parts == 255).all())
    # Every 4th demo image has no person.
    assert n_no_person == len(labels['PASCAL_MT']) // 4


def test_converter_errors(demo_raw, tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        convert_pascal_mt(str(tmp_path / 'nowhere'))
    src, labels = demo_raw
    root = str(tmp_path / 'PASCAL_MT')
    shutil.copytree(osp.join(src, 'PASCAL_MT'), root)
    img_id = next(iter(labels['PASCAL_MT']))
    os.remove(osp.join(root, 'human_parts', img_id + '.mat'))
    with pytest.raises(FileNotFoundError, match=f'{img_id}.mat'):
        convert_pascal_mt(root, progress=False)
    os.remove(osp.join(root, 'ImageSets', 'Context', 'val.txt'))
    with pytest.raises(FileNotFoundError, match='val.txt'):
        convert_pascal_mt(root, progress=False)


def run_tool(monkeypatch, script, *args):
    """Run a tools/ script as ``python script args`` (in-process)."""
    monkeypatch.setattr(sys, 'argv', [script, *args])
    runpy.run_path(osp.join(REPO, script), run_name='__main__')


def test_cli(tmp_path, monkeypatch, capsys):
    """Generator CLI + converter CLI, as a user runs them."""
    out = str(tmp_path / 'demo')
    run_tool(monkeypatch, 'tools/misc/generate_demo_data.py', out, '--dataset',
             'pascal', '--num-train', '2', '--num-val', '1', '--size', '48',
             '64')
    root = osp.join(out, 'PASCAL_MT')
    assert not osp.exists(osp.join(out, 'NYUD_MT'))
    assert not osp.isdir(osp.join(root, 'edge_png'))
    cmd = converter_command(root)
    assert cmd == f'python tools/dataset_converters/pascal_mt.py {root}'
    assert cmd in capsys.readouterr().out
    run_tool(monkeypatch, *cmd.split()[1:], '--nproc', '2')
    assert 'converted 3 images' in capsys.readouterr().out
    for folder in CONVERTED_DIRS.values():
        files = sorted(os.listdir(osp.join(root, folder)))
        assert len(files) == 3
        assert cv2.imread(osp.join(root, folder,
                                   files[0])).shape[:2] == (48, 64)
    # --convert does both steps.
    run_tool(monkeypatch, 'tools/misc/generate_demo_data.py',
             str(tmp_path / 'demo2'), '--dataset', 'both', '--num-train', '1',
             '--num-val', '1', '--size', '48', '64', '--convert')
    assert osp.isfile(
        osp.join(tmp_path, 'demo2', 'PASCAL_MT', 'edge_png',
                 '2009_000001.png'))
    assert osp.isdir(osp.join(tmp_path, 'demo2', 'NYUD_MT', 'depth'))


def test_skip_bad_lists_bad_files_and_writes_nothing_for_them(
        demo_raw, tmp_path, monkeypatch, capsys):
    src, labels = demo_raw
    root = str(tmp_path / 'PASCAL_MT')
    shutil.copytree(osp.join(src, 'PASCAL_MT'), root)
    ids = list(labels['PASCAL_MT'])
    bad_id = ids[1]
    bad_mat = osp.join(root, 'human_parts', bad_id + '.mat')
    with open(bad_mat, 'wb') as f:
        f.write(b'not a MATLAB file')
    # Maps of an earlier conversion of the bad image must not survive.
    stale = osp.join(root, CONVERTED_DIRS['edge'], bad_id + '.png')
    os.makedirs(osp.dirname(stale))
    open(stale, 'wb').close()
    run_tool(monkeypatch, 'tools/dataset_converters/pascal_mt.py', root,
             '--skip-bad')
    out = capsys.readouterr().out
    assert f'converted {len(ids) - 1} images' in out
    assert 'skipped 1 image(s) with a bad raw file' in out
    assert f'  {bad_id}: ValueError: cannot read MATLAB file {bad_mat}' in out
    for folder in CONVERTED_DIRS.values():
        written = set(os.listdir(osp.join(root, folder)))
        assert written == {i + '.png' for i in ids if i != bad_id}

    # The dataset then names the raw file, not the converter command.
    raw_sources = conversion.raw_sources

    class Dataset(PascalContextMTDataset):
        RAW_SOURCES = staticmethod(raw_sources)

    split = 'train' if bad_id in conversion.read_split_ids(
        root, ['train']) else 'val'
    with pytest.raises(FileNotFoundError) as info:
        Dataset(data_root=root, split=split, tasks=('human_parts', ))
    msg = str(info.value)
    assert f'check {bad_mat} (a converter run with --skip-bad' in msg
    assert f'remove {bad_id!r} from ' in msg
    assert raw_sources(root, 'normals', bad_id) == [
        osp.join(root, 'normals_distill', bad_id + '.png'),
        osp.join(root, 'pascal-context', 'trainval', bad_id + '.mat')
    ]
