"""The test pipeline of every shipped config runs on a bare image."""
import glob
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config

from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import TASKS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'vmt', '*.py')))


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_test_pipeline_packs_an_image_without_annotations(config, tmp_path):
    cfg = Config.fromfile(config)
    path = str(tmp_path / 'photo.jpg')
    mmcv.imwrite(np.full((30, 40, 3), 77, np.uint8), path)
    # What mmseg's inference_model does: the config's test_pipeline on a
    # dict holding only the image path.
    packed = Compose(cfg.test_pipeline)(dict(img_path=path))
    sample = packed['data_samples']
    assert isinstance(sample, MultiTaskDataSample)
    assert not any(spec.gt_key in sample for spec in TASKS.values())
    types = [t['type'] for t in cfg.test_pipeline]
    if 'SetOriShapeToImgShape' in types:  # literature protocol: 448x448
        assert sample.ori_shape == sample.img_shape != (30, 40)
    else:
        assert sample.ori_shape == (30, 40)
    assert packed['inputs'].shape[0] == 3
    assert cfg.test_pipeline == cfg.test_dataloader.dataset.pipeline
