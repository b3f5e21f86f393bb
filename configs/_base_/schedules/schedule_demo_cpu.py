# The 40k recipe shrunk to a few minutes on a 2-core CPU (demo configs only):
# 200 iterations, a higher lr for the short run, one checkpoint at the end.
_base_ = ['./schedule_40k_adamw_cosine.py']
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=False,
        begin=20,
        end=200),
]
train_cfg = dict(max_iters=200, val_interval=200)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200, max_keep_ckpts=1))
