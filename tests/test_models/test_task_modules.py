"""The segmentor's task list reaches the backbone and heads, or fails early."""
import pytest
import torch.nn as nn

from mmvmt.models.segmentors import (backbone_cfg_for_tasks,
                                     check_backbone_tasks, check_task_head,
                                     head_cfg_for_task)

TASKS = ('semseg', 'sal', 'normals')
SWIN = dict(type='VMTSwinTransformer', embed_dims=16)


def test_backbone_gets_the_heads_tasks():
    cfg = backbone_cfg_for_tasks(SWIN, TASKS)
    assert cfg == dict(SWIN, tasks=TASKS) and 'tasks' not in SWIN
    assert backbone_cfg_for_tasks(dict(SWIN, tasks=None), TASKS) == cfg
    assert backbone_cfg_for_tasks(dict(SWIN, tasks=list(TASKS)), TASKS)
    # a backbone that does not take tasks is left alone
    stock = dict(type='SwinTransformer', embed_dims=16)
    assert backbone_cfg_for_tasks(stock, TASKS) == stock


def test_explicit_backbone_tasks_must_equal_the_heads():
    with pytest.raises(ValueError) as err:
        backbone_cfg_for_tasks(dict(SWIN, tasks=('semseg', 'depth')), TASKS)
    msg = str(err.value)
    assert "tasks ['semseg', 'depth']" in msg
    assert "decode_heads has tasks ['semseg', 'sal', 'normals']" in msg
    assert "backbone task(s) ['depth'] have no decode head" in msg
    assert "decode head(s) of ['sal', 'normals'] get no backbone" in msg
    with pytest.raises(ValueError, match='order differs'):
        backbone_cfg_for_tasks(dict(SWIN, tasks=TASKS[::-1]), TASKS)
    with pytest.raises(ValueError, match=r"\['normals'\] have no decode"):
        backbone_cfg_for_tasks(dict(SWIN, tasks='normals'), ('sal', ))


class _Advertising(nn.Module):

    def __init__(self, tasks):
        super().__init__()
        self.tasks = tasks


def test_check_backbone_tasks():
    check_backbone_tasks(nn.Identity(), TASKS)  # one shared feature list
    check_backbone_tasks(_Advertising(TASKS[::-1]), TASKS)
    with pytest.raises(ValueError, match=r"\['depth'\] have no decode head"):
        check_backbone_tasks(_Advertising(TASKS + ('depth', )), TASKS)
    with pytest.raises(ValueError, match=r"of \['sal'\] get no backbone"):
        check_backbone_tasks(_Advertising(('semseg', 'normals')), TASKS)


def test_head_cfg_for_task():
    fusion = dict(type='MultiScaleFusionHead', channels=8)
    assert head_cfg_for_task('sal', fusion) == dict(fusion, task='sal')
    assert 'task' not in fusion
    fcn = dict(type='FCNHead', num_classes=3)
    assert head_cfg_for_task('semseg', fcn) == fcn
    with pytest.raises(KeyError, match="unknown head type 'NoHead'"):
        head_cfg_for_task('sal', dict(type='NoHead'))


class _OwnLossHead(nn.Module):
    """Stands in for a task-aware head: own loss path, given channels."""

    def __init__(self, out_channels, task=None):
        super().__init__()
        self.out_channels = out_channels
        if task is not None:
            self.task = task

    def loss_by_feat(self, seg_logits, batch_data_samples):
        return {}


def test_check_task_head():
    check_task_head('normals', _OwnLossHead(3))
    check_task_head('depth', _OwnLossHead(1, task='depth'))
    with pytest.raises(ValueError, match="configured for task 'edge'"):
        check_task_head('sal', _OwnLossHead(1, task='edge'))
    with pytest.raises(ValueError, match="outputs 3 channels.*needs 1"):
        check_task_head('depth', _OwnLossHead(3))
    # class-map tasks take any head and any channel count
    check_task_head('semseg', _OwnLossHead(5))
