"""End to end through the CLI: train, test, adapter-only checkpoints, DDP."""
import filecmp
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

from mmvmt.datasets.demo_generator import generate_demo_data
from mmvmt.datasets.pascal_mt_conversion import convert_pascal_mt
from mmvmt.engine.hooks.trainable_checkpoint_hook import \
    TRAINABLE_ONLY_META_KEY

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'vmt', 'swin-t_pascal_demo.py')


@pytest.fixture(scope='module')
def pascal_root(tmp_path_factory):
    """A small converted PASCAL_MT demo tree (12 train / 4 val, 64x80)."""
    root = str(tmp_path_factory.mktemp('tools_demo'))
    generate_demo_data(root, dataset='pascal', num_train=12, num_val=4,
                       size=(64, 80), seed=0)
    convert_pascal_mt(osp.join(root, 'PASCAL_MT'), progress=False)
    return osp.join(root, 'PASCAL_MT')


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """A 'pretrained' tiny Swin checkpoint, so frozen weights are fixed."""
    path = str(tmp_path_factory.mktemp('pretrained') / 'tiny_swin.pth')
    cfg = tiny_model_cfg()['backbone']
    cfg = {k: v for k, v in cfg.items()
           if k not in ('tasks', 'adapter_cfg', 'always_dict', 'init_cfg')}
    torch.manual_seed(0)
    swin = MODELS.build(dict(cfg, type='SwinTransformer'))
    torch.save(dict(state_dict=swin.state_dict()), path)
    return path


def tiny_config(work_dir, data_root, checkpoint, iters=12,
                model_tasks=('semseg', 'human_parts', 'sal', 'normals'),
                **extra):
    """The demo config with the tiny model, tiny data and a short run."""
    cfg = Config.fromfile(DEMO_CONFIG)
    model = tiny_model_cfg(model_tasks, checkpoint=checkpoint)
    model['backbone']['always_dict'] = False
    model['data_preprocessor'] = cfg.model.data_preprocessor.to_dict()
    cfg.model = model
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_pipeline[3]['crop_size'] = (48, 48)
    cfg.train_dataloader.dataset.pipeline = cfg.train_pipeline
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=False)]
    cfg.optim_wrapper.optimizer.lr = 1e-2
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=iters,
        save_best=None)
    cfg.work_dir = work_dir
    cfg.merge_from_dict(extra)
    path = osp.join(work_dir, 'config.py')
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(path)
    return path


def free_port():
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_tool(*args, env=None):
    """Run a repo tool in a subprocess; fail with its output on error."""
    full_env = dict(os.environ, **(env or {}))
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + \
        full_env.get('PATH', '')
    proc = subprocess.run(list(args), cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def read_losses(work_dir):
    """Total training losses logged by mmengine (scalars.json)."""
    (run_dir, ) = [d for d in os.listdir(work_dir)
                   if osp.isdir(osp.join(work_dir, d, 'vis_data'))]
    path = osp.join(work_dir, run_dir, 'vis_data', 'scalars.json')
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return [row['loss'] for row in rows if 'loss' in row]


def test_train_lowers_loss_and_test_writes_all_tasks(tmp_path, pascal_root,
                                                     pretrained):
    work_dir = str(tmp_path / 'work')
    # A list of evaluators must work with --out too (mmseg's test.py fails).
    evaluator = [dict(type='MultiTaskMetric',
                      tasks=('semseg', 'human_parts', 'sal', 'normals'),
                      baseline=dict(semseg=67.21, human_parts=61.93,
                                    sal=62.35, normals=17.97))]
    config = tiny_config(work_dir, pascal_root, pretrained, iters=30,
                         test_evaluator=evaluator)
    run_tool(sys.executable, 'tools/train.py', config)
    losses = read_losses(work_dir)
    assert len(losses) >= 30
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.8 * first, losses

    out = str(tmp_path / 'out')
    run_tool(sys.executable, 'tools/test.py', config,
             osp.join(work_dir, 'iter_30.pth'), '--out', out)
    with open(osp.join(out, 'metrics.json')) as f:
        metrics = json.load(f)
    for key in ('semseg/mIoU', 'human_parts/mIoU', 'sal/mIoU', 'sal/maxF',
                'normals/mean', 'multitask/delta_m'):
        assert key in metrics
    for task, ext in (('semseg', '.png'), ('human_parts', '.png'),
                      ('sal', '.png'), ('normals', '.png')):
        files = os.listdir(osp.join(out, task))
        assert len(files) == 4 and all(f.endswith(ext) for f in files)


def test_adapter_only_checkpoint_round_trip(tmp_path, pascal_root,
                                            pretrained):
    work_dir = str(tmp_path / 'work')
    config = tiny_config(work_dir, pascal_root, pretrained, iters=3)
    cfg = Config.fromfile(config)
    cfg.custom_hooks = [dict(type='TrainableCheckpointHook',
                             trainable_only=True)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt_path = osp.join(work_dir, 'iter_3.pth')
    ckpt = torch.load(ckpt_path, map_location='cpu')
    assert ckpt['meta'][TRAINABLE_ONLY_META_KEY] is True
    keys = set(ckpt['state_dict'])
    trainable = {n for n, p in runner.model.named_parameters()
                 if p.requires_grad}
    assert trainable <= keys
    assert not any(n in keys for n, p in runner.model.named_parameters()
                   if not p.requires_grad)
    full_path = str(tmp_path / 'full.pth')
    torch.save(dict(state_dict=runner.model.state_dict(), meta={}),
               full_path)
    assert osp.getsize(ckpt_path) < osp.getsize(full_path)

    out_full, out_adapter = str(tmp_path / 'full'), str(tmp_path / 'adapter')
    run_tool(sys.executable, 'tools/test.py', config, full_path, '--out',
             out_full, '--work-dir', str(tmp_path / 'test_full'))
    run_tool(sys.executable, 'tools/test.py', config, ckpt_path, '--out',
             out_adapter, '--work-dir', str(tmp_path / 'test_adapter'))
    cmp = filecmp.dircmp(out_full, out_adapter)
    assert set(os.listdir(out_full)) == set(os.listdir(out_adapter))
    for task in ('semseg', 'human_parts', 'sal', 'normals'):
        files = sorted(os.listdir(osp.join(out_full, task)))
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(out_full, task), osp.join(out_adapter, task), files,
            shallow=False)
        assert match == files, (task, mismatch, errors)
    assert filecmp.cmp(osp.join(out_full, 'metrics.json'),
                       osp.join(out_adapter, 'metrics.json'), shallow=False)
    del cmp


def test_two_process_ddp_on_cpu(tmp_path, pascal_root, pretrained):
    work_dir = str(tmp_path / 'work')
    probe = str(tmp_path / 'probe')
    config = tiny_config(
        work_dir, pascal_root, pretrained, iters=2,
        custom_imports=dict(imports=['mmvmt', 'sample_probe'],
                            allow_failed_imports=False),
        custom_hooks=[dict(type='SampleProbeHook', out_dir=probe)])
    run_tool('bash', 'tools/dist_train.sh', config, '2',
             env=dict(PORT=str(free_port()),
                      PYTHONPATH=osp.dirname(osp.abspath(__file__)),
                      OMP_NUM_THREADS='1'))
    seen = []
    for rank in (0, 1):
        with open(osp.join(probe, f'rank{rank}.jsonl')) as f:
            seen.append([json.loads(line) for line in f])
    assert len(seen[0]) == len(seen[1]) == 4  # 2 iters x batch 2
    assert not set(seen[0]) & set(seen[1])
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))


def test_show_dir_draws_every_task(tmp_path, pascal_root, pretrained):
    import mmcv
    work_dir = str(tmp_path / 'work')
    config = tiny_config(work_dir, pascal_root, pretrained, iters=1)
    run_tool(sys.executable, 'tools/train.py', config)
    show_dir = str(tmp_path / 'show')
    run_tool(sys.executable, 'tools/test.py', config,
             osp.join(work_dir, 'iter_1.pth'), '--show-dir', show_dir,
             '--cfg-options', 'default_hooks.visualization.interval=1')
    with open(osp.join(pascal_root, 'ImageSets', 'Context', 'val.txt')) as f:
        val_ids = f.read().split()
    # LocalVisBackend: <save_dir>/vis_data/vis_image/<name>_<step>.png
    image_dir = osp.join(show_dir, 'vis_data', 'vis_image')
    assert sorted(os.listdir(image_dir)) == sorted(
        f'test_{i}.jpg_0.png' for i in val_ids)
    for name in os.listdir(image_dir):
        # 2 rows (GT, pred) x (image + 4 tasks) of 64x80 tiles.
        assert mmcv.imread(osp.join(image_dir, name)).shape == (128, 400, 3)


def test_head_for_a_task_the_dataset_lacks_fails_clearly(
        tmp_path, pascal_root, pretrained):
    config = tiny_config(str(tmp_path / 'work'), pascal_root, pretrained,
                         iters=1, model_tasks=('semseg', 'depth'))
    runner = Runner.from_cfg(Config.fromfile(config))
    with pytest.raises(KeyError, match="no 'gt_depth'.*Add 'depth'"):
        runner.train()
