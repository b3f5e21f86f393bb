"""MultiTaskDataSample: one gt_<task> / pred_<task> PixelData per task."""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvmt.structures import MultiTaskDataSample


def test_is_a_seg_data_sample():
    assert isinstance(MultiTaskDataSample(), SegDataSample)


def test_set_and_get_ground_truth_and_prediction():
    sample = MultiTaskDataSample(metainfo=dict(img_shape=(2, 3)))
    depth = torch.rand(1, 2, 3)
    normals = torch.rand(3, 2, 3)
    sample.set_task_gt('depth', depth)
    sample.set_task_pred('normals', normals)
    assert sample.task_gt('depth') is depth
    assert sample.task_pred('normals') is normals
    assert isinstance(sample.gt_depth, PixelData)
    assert isinstance(sample.pred_normals, PixelData)
    assert set(sample.keys()) == {'gt_depth', 'pred_normals'}
    assert sample.metainfo == dict(img_shape=(2, 3))


def test_setting_again_replaces():
    sample = MultiTaskDataSample()
    sample.set_task_pred('sal', torch.zeros(1, 2, 2))
    sample.set_task_pred('sal', torch.ones(1, 2, 2))
    assert torch.equal(sample.task_pred('sal'), torch.ones(1, 2, 2))


def test_semseg_is_not_duplicated_into_mmseg_fields():
    sample = MultiTaskDataSample()
    sample.set_task_gt('semseg', torch.zeros(1, 2, 2, dtype=torch.uint8))
    sample.set_task_pred('semseg', torch.zeros(1, 2, 2, dtype=torch.int64))
    assert set(sample.keys()) == {'gt_semseg', 'pred_semseg'}
    for key in ('gt_sem_seg', 'pred_sem_seg', 'seg_logits'):
        assert key not in sample


def test_tasks_with_gt():
    sample = MultiTaskDataSample()
    sample.set_task_gt('sal', torch.zeros(1, 2, 2))
    sample.set_task_pred('semseg', torch.zeros(1, 2, 2))
    assert sample.tasks_with_gt(['sal', 'semseg']) == dict(
        sal=True, semseg=False)


def test_missing_ground_truth_names_what_is_there():
    sample = MultiTaskDataSample()
    sample.set_task_gt('sal', torch.zeros(1, 2, 2))
    sample.set_task_pred('depth', torch.zeros(1, 2, 2))
    with pytest.raises(
            KeyError, match=r"no 'gt_depth'; it holds \['gt_sal'\]"):
        sample.task_gt('depth')
    with pytest.raises(KeyError, match="no 'pred_sal'"):
        sample.task_pred('sal')


def test_unknown_task_is_refused():
    sample = MultiTaskDataSample()
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        sample.set_task_gt('segm', torch.zeros(1, 2, 2))
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        sample.task_pred('segm')
