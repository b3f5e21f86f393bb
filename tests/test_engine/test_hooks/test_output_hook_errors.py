"""A full disk while writing predictions names the file."""
import errno

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmvmt.engine.hooks import multitask_output_hook
from mmvmt.engine.hooks.multitask_output_hook import MultiTaskOutputHook
from mmvmt.structures import MultiTaskDataSample


def _sample():
    sample = MultiTaskDataSample(metainfo=dict(img_path='/d/img_7.jpg'))
    sample.pred_depth = PixelData(data=torch.ones(1, 2, 2))
    return sample


def test_no_space_names_the_prediction_file(tmp_path, monkeypatch):

    def no_space(task, pred, stem):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(multitask_output_hook, 'write_prediction', no_space)
    hook = MultiTaskOutputHook(str(tmp_path))
    with pytest.raises(OSError) as info:
        hook.after_test_iter(None, 0, outputs=[_sample()])
    assert info.value.errno == errno.ENOSPC
    msg = str(info.value)
    assert 'No space left on device while writing the depth prediction' in msg
    assert str(tmp_path / 'depth' / 'img_7') in msg


def test_predictions_are_written(tmp_path):
    MultiTaskOutputHook(str(tmp_path)).after_test_iter(
        None, 0, outputs=[_sample()])
    assert np.load(tmp_path / 'depth' / 'img_7.npy').shape == (2, 2)
