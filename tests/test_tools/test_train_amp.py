"""tools/train.py --amp and AMP configs on a machine without CUDA."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from tool_runs import DEMO_CONFIG, REPO, run_main, tiny_config

import mmvmt.utils.amp

LITERATURE = osp.join(REPO, 'configs', '_base_', 'literature',
                      'pascal-context-mt.py')


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(mmvmt.utils.amp.torch.cuda, 'is_available',
                        lambda: False)


def test_amp_flag_without_cuda_stops_with_a_message(no_cuda, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_main('train', DEMO_CONFIG, '--amp', '--work-dir', str(tmp_path))
    message = str(exit_info.value.code)
    assert message.startswith('tools/train.py: --amp needs a CUDA GPU')
    assert 'torch.cuda.is_available() is False' in message
    assert not glob.glob(str(tmp_path / '*'))  # nothing started


def test_literature_recipe_trains_on_cpu_in_float32(no_cuda, tmp_path,
                                                    pascal_root, pretrained):
    """The setting's AMP optimizer wrapper, clipping and schedule shapes."""
    recipe = Config.fromfile(LITERATURE)
    assert recipe.optim_wrapper.type == 'AmpOptimWrapper'
    work_dir = str(tmp_path)
    config = tiny_config(
        work_dir,
        pascal_root,
        pretrained,
        iters=2,
        optim_wrapper=recipe.optim_wrapper.to_dict(),
        param_scheduler=[
            dict(s, begin=0, end=2) for s in recipe.param_scheduler
        ],
        train_cfg=dict(val_begin=3))  # no validation
    run_main('train', config, '--work-dir', work_dir)
    (log, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log) as f:
        text = f.read()
    assert 'precision: the config trains with AMP (AmpOptimWrapper)' in text
    assert 'trains in float32' in text
    state = torch.load(
        osp.join(work_dir, 'iter_2.pth'),
        map_location='cpu',
        weights_only=False)
    assert state['meta']['iter'] == 2
