"""MultiTaskDataPreProcessor pads every task with its own ignore value."""
import pytest
import torch
from mmseg.registry import MODELS

from mmvmt.models.data_preprocessor import (MultiTaskDataPreProcessor,
                                            stack_multitask_batch)
from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import get_task

CHANNELS = dict(semseg=1, sal=1, normals=3, depth=1)
#: Expected pad value of every task: its ignore value in the task table.
PAD = {t: get_task(t).ignore_value for t in CHANNELS}


def make_sample(h: int, w: int, seed: int, img_path: str = 'a.jpg'):
    """Image (uint8 CHW) and a sample with non-pad values in every map."""
    gen = torch.Generator().manual_seed(seed)
    img = torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
    sample = MultiTaskDataSample(
        metainfo=dict(img_path=img_path, img_shape=(h, w)))
    sample.set_task_gt('semseg',
                       torch.randint(0, 21, (1, h, w), generator=gen))
    sample.set_task_gt('sal', torch.randint(0, 2, (1, h, w), generator=gen))
    sample.set_task_gt('normals', torch.rand(3, h, w, generator=gen) - 0.5)
    sample.set_task_gt('depth', torch.rand(1, h, w, generator=gen) + 1)
    return img, sample


def clone_gts(sample):
    return {t: sample.task_gt(t).clone() for t in PAD}


def test_training_pads_each_task_with_its_ignore_value():
    preprocessor = MODELS.build(
        dict(
            type='MultiTaskDataPreProcessor',
            mean=[10., 20., 30.],
            std=[2., 4., 5.],
            pad_val=0,
            size_divisor=8))
    (img0, s0), (img1, s1) = make_sample(10, 12, 0), make_sample(8, 14, 1)
    gts = [clone_gts(s0), clone_gts(s1)]
    out = preprocessor(
        dict(inputs=[img0, img1], data_samples=[s0, s1]), training=True)
    inputs = out['inputs']
    assert inputs.shape == (2, 3, 16, 16) and inputs.dtype == torch.float32

    mean = torch.tensor([10., 20., 30.]).view(3, 1, 1)
    std = torch.tensor([2., 4., 5.]).view(3, 1, 1)
    for i, (img, (h, w)) in enumerate(((img0, (10, 12)), (img1, (8, 14)))):
        torch.testing.assert_close(inputs[i, :, :h, :w],
                                   (img.float() - mean) / std)
        assert (inputs[i, :, h:, :] == 0).all()
        assert (inputs[i, :, :, w:] == 0).all()
        sample = out['data_samples'][i]
        for task, pad in PAD.items():
            gt = sample.task_gt(task)
            assert gt.shape == (CHANNELS[task], 16, 16), task
            assert gt.dtype == gts[i][task].dtype, task
            assert torch.equal(gt[:, :h, :w], gts[i][task]), task
            assert (gt[:, h:, :] == pad).all(), task
            assert (gt[:, :, w:] == pad).all(), task
        meta = sample.metainfo
        assert meta['padding_size'] == [0, 16 - w, 0, 16 - h]
        assert meta['batch_input_shape'] == (16, 16)
        assert meta['pad_shape'] == (16, 16)
        assert meta['img_shape'] == (h, w)


def test_training_fixed_size_and_bgr_to_rgb():
    preprocessor = MultiTaskDataPreProcessor(
        size=(12, 20), pad_val=7, bgr_to_rgb=True)
    img, sample = make_sample(9, 11, 2)
    out = preprocessor(dict(inputs=[img], data_samples=[sample]), True)
    sample = out['data_samples'][0]  # cast_data returns copies
    assert out['inputs'].shape == (1, 3, 12, 20)
    torch.testing.assert_close(out['inputs'][0, :, :9, :11],
                               img.flip(0).float())
    assert (out['inputs'][0, :, 9:] == 7).all()
    assert sample.metainfo['padding_size'] == [0, 9, 0, 3]
    assert (sample.task_gt('depth')[:, :, 11:] == 0).all()


def test_training_without_size_pads_to_batch_max():
    (img0, s0), (img1, s1) = make_sample(5, 9, 3), make_sample(7, 6, 4)
    inputs, infos = stack_multitask_batch([img0, img1], [s0, s1])
    assert inputs.shape == (2, 3, 7, 9)
    assert [i['padding_size'] for i in infos] == [[0, 0, 0, 2], [0, 3, 0, 0]]
    assert s1.task_gt('normals').shape == (3, 7, 9)
    assert (s1.task_gt('normals')[:, :, 6:] == PAD['normals']).all()


def test_wrong_gt_shape_names_task_and_image():
    img, sample = make_sample(8, 8, 5, img_path='imgs/bad.jpg')
    sample.set_task_gt('normals', torch.zeros(3, 8, 7))
    preprocessor = MultiTaskDataPreProcessor(size_divisor=4)
    with pytest.raises(
            ValueError, match=r'gt_normals.*imgs/bad\.jpg.*\(3, 8, 8\)'):
        preprocessor(dict(inputs=[img], data_samples=[sample]), True)
    img, sample = make_sample(8, 8, 5)
    sample.set_task_gt('depth', torch.zeros(2, 8, 8))
    with pytest.raises(
            ValueError, match=r'gt_depth.*\(2, 8, 8\).*\(1, 8, 8\)'):
        preprocessor(dict(inputs=[img], data_samples=[sample]), True)


def test_test_mode_pads_images_only():
    preprocessor = MultiTaskDataPreProcessor(
        size_divisor=4, test_cfg=dict(size_divisor=16))
    img, sample = make_sample(10, 12, 6)
    # ground truth stays at original resolution (differs from the image)
    sample.set_task_gt('depth', torch.ones(1, 20, 24))
    out = preprocessor(dict(inputs=[img], data_samples=[sample]), False)
    sample = out['data_samples'][0]
    assert out['inputs'].shape == (1, 3, 16, 16)
    assert sample.task_gt('depth').shape == (1, 20, 24)
    assert sample.task_gt('semseg').shape == (1, 10, 12)
    assert sample.metainfo['padding_size'] == [0, 4, 0, 6]
    assert sample.metainfo['pad_shape'] == (16, 16)


def test_test_mode_without_test_cfg():
    preprocessor = MultiTaskDataPreProcessor(size_divisor=32)
    (img0, s0), (img1, s1) = make_sample(10, 12, 7), make_sample(10, 12, 8)
    out = preprocessor(dict(inputs=[img0, img1], data_samples=[s0, s1]))
    assert out['inputs'].shape == (2, 3, 10, 12)
    assert out['data_samples'][0].metainfo['padding_size'] == [0, 0, 0, 0]
    assert out['data_samples'][1].metainfo['pad_shape'] == (10, 12)
    out = preprocessor(dict(inputs=[img0, img1]))
    assert out['inputs'].shape == (2, 3, 10, 12)
    img2, s2 = make_sample(10, 14, 9)
    with pytest.raises(ValueError, match='same size'):
        preprocessor(dict(inputs=[img0, img2], data_samples=[s0, s2]))


def test_bad_configuration():
    with pytest.raises(ValueError, match='seg_pad_val'):
        MultiTaskDataPreProcessor(seg_pad_val=255)
    with pytest.raises(ValueError, match='batch_augments'):
        MultiTaskDataPreProcessor(batch_augments=[dict(type='Mixup')])
    img, sample = make_sample(10, 12, 10)
    with pytest.raises(ValueError, match='only one of size and size_div'):
        stack_multitask_batch([img], [sample], size=(16, 16), size_divisor=4)
    with pytest.raises(ValueError, match='exceed'):
        stack_multitask_batch([img], [sample], size=(8, 16))
    with pytest.raises(ValueError, match='data_samples are required'):
        MultiTaskDataPreProcessor(size=(16, 16))(dict(inputs=[img]), True)
