# CPU-demo runtime of the demo configs (configs/vmt/*_demo.py), in place of
# default_runtime.py + the 40k schedule: the same runtime and recipe shrunk to
# a few minutes on a 2-core CPU (600 iterations, a higher lr for the short
# run, one checkpoint at the end), DDP over gloo. The demo configs add the
# model base (with `init_cfg=None`: random init, nothing to download) and a
# demo dataset base (demo data root and sizes).
_base_ = ['./default_runtime.py', './schedules/schedule_40k_adamw_cosine.py']
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
warmup_iters = 20
max_iters = 600
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
