"""Ground-truth values are checked when a sample is loaded (issue 17): a 0/1
saliency export, integer depth without a unit and class ids out of range
stop at the file, naming the values seen and the option that accepts them.
"""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.transforms.loading import LoadMultiTaskAnnotations

FIRST_PASCAL, FIRST_NYUD = '2008_000000', '0000'


def _copy(demo, name, tmp_path) -> str:
    dst = str(tmp_path / name)
    shutil.copytree(osp.join(demo[0], name), dst)
    return dst


def _load(ds_cls, root, **kwargs) -> dict:
    """The first training sample, ground truth decoded."""
    return ds_cls(root, pipeline=[LoadMultiTaskAnnotations()], **kwargs)[0]


def test_a_01_saliency_png_is_refused_then_read_with_the_option(
        demo, tmp_path):
    root = _copy(demo, 'PASCAL_MT', tmp_path)
    path = osp.join(root, 'sal_distill', FIRST_PASCAL + '.png')
    soft = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    binary = (soft.astype(np.float32) / 255. > 0.5).astype(np.uint8)
    assert 0 < binary.sum() < binary.size
    cv2.imwrite(path, binary)  # the common 0/1 export
    with pytest.raises(ValueError) as info:
        _load(PascalContextMTDataset, root, tasks=('sal', ))
    msg = str(info.value)
    assert f'sal annotation file {path}' in msg
    assert 'only the values [0, 1]' in msg
    assert "ann_decoders=dict(sal='binary_png')" in msg
    out = _load(
        PascalContextMTDataset,
        root,
        tasks=('sal', ),
        ann_decoders=dict(sal='binary_png'))
    assert np.array_equal(out['gt_sal'], binary)


def test_millimetre_depth_is_refused_then_scaled_with_the_option(
        demo, tmp_path):
    root = _copy(demo, 'NYUD_MT', tmp_path)
    path = osp.join(root, 'depth', FIRST_NYUD + '.npy')
    metres = np.load(path)
    metres[0, :3] = (np.nan, np.inf, -1.)  # stay invalid pixels
    np.save(path, metres)
    mm = np.round(np.nan_to_num(metres, posinf=0, neginf=0).clip(0) *
                  1000).astype(np.uint16)
    np.save(path, mm)  # the raw Kinect format
    with pytest.raises(ValueError) as info:
        _load(NYUDv2MTDataset, root, tasks=('depth', ))
    msg = str(info.value)
    assert f'depth annotation file {path}' in msg
    assert f'dtype uint16 (values 0..{mm.max()})' in msg
    assert ("ann_decoders=dict(depth=dict(type='depth_npy', scale=0.001))"
            in msg)
    out = _load(
        NYUDv2MTDataset,
        root,
        tasks=('depth', ),
        ann_decoders=dict(depth=dict(type='depth_npy', scale=0.001)))
    depth = out['gt_depth']
    assert depth.dtype == np.float32
    assert depth[0, :3].tolist() == [0., 0., 0.]
    valid = np.isfinite(metres) & (metres > 0)
    np.testing.assert_allclose(depth[valid], metres[valid], atol=5e-4)
    # Float metres with NaN/inf: those pixels are invalid (0).
    np.save(path, metres)
    depth = _load(NYUDv2MTDataset, root, tasks=('depth', ))['gt_depth']
    assert depth[0, :3].tolist() == [0., 0., 0.]


def test_a_class_id_out_of_range_names_the_file_and_the_range(demo, tmp_path):
    root = _copy(demo, 'PASCAL_MT', tmp_path)
    path = osp.join(root, 'semseg', 'VOC12', FIRST_PASCAL + '.png')
    with Image.open(path) as img:  # a palette png, as VOC's
        labels, palette = np.array(img), img.getpalette()
    labels[0, :2] = (60, 21)
    out = Image.fromarray(labels, mode='P')
    out.putpalette(palette)
    out.save(path)
    with pytest.raises(ValueError) as info:
        _load(PascalContextMTDataset, root, tasks=('semseg', ))
    msg = str(info.value)
    assert f'semseg annotation file {path} holds id(s) [21, 60]' in msg
    assert 'valid ids are 0..20 (21 classes) and 255 (ignore)' in msg
    # A class subset checks against its own count, after the label map:
    # ids the subset maps stay valid, the out-of-range ones are named.
    with pytest.raises(
            ValueError,
            match=r'\[21, 60\] after the class-subset label_map; '
            r'valid ids are 0\.\.1 \(2 classes\)'):
        _load(
            PascalContextMTDataset,
            root,
            tasks=('semseg', ),
            metainfo=dict(classes=('background', 'person')))


def test_loader_checks_binary_maps_and_given_class_counts(tmp_path):
    path = str(tmp_path / 'edge.png')
    cv2.imwrite(path, np.array([[0, 1, 3]], np.uint8))
    results = dict(
        tasks=('edge', ),
        edge_path=path,
        ann_decoders=dict(edge='class_png'),
        seg_fields=[])
    with pytest.raises(
            ValueError,
            match=r'holds id\(s\) \[3\]; valid ids '
            r'are 0\.\.1 \(2 classes\)'):
        LoadMultiTaskAnnotations()(results)
    for num_classes in (3, 4):
        results = dict(
            tasks=('human_parts', ),
            human_parts_path=path,
            ann_decoders=dict(human_parts='class_png'),
            task_num_classes=dict(human_parts=num_classes),
            seg_fields=[])
        if num_classes == 3:
            with pytest.raises(
                    ValueError,
                    match=r'\[3\]; valid ids are '
                    r'0\.\.2 \(3 classes\)'):
                LoadMultiTaskAnnotations()(results)
        else:
            out = LoadMultiTaskAnnotations()(results)
            assert out['gt_human_parts'].tolist() == [[0, 1, 3]]


def test_dataset_decoder_options_are_checked_at_build(demo):
    root = osp.join(demo[0], 'NYUD_MT')
    with pytest.raises(
            ValueError,
            match=r"ann_decoders given for \['edge'\]"
            r", which are not loaded"):
        NYUDv2MTDataset(root, tasks=('depth', ), ann_decoders=dict(edge='x'))
    with pytest.raises(KeyError, match="unknown ground-truth decoder 'x'"):
        NYUDv2MTDataset(root, ann_decoders=dict(depth='x'))
    with pytest.raises(TypeError, match=r"takes the options \['scale'\]"):
        NYUDv2MTDataset(
            root, ann_decoders=dict(depth=dict(type='depth_npy', unit='mm')))
    ds = NYUDv2MTDataset(
        root, ann_decoders=dict(depth=dict(type='depth_npy', scale=0.001)))
    info = ds.get_data_info(0)
    assert info['ann_decoders']['depth'] == dict(type='depth_npy', scale=0.001)
    assert info['task_num_classes'] == dict(semseg=40)
