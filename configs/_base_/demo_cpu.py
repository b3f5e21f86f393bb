# CPU-demo runtime and recipe of the demo configs (configs/vmt/*_demo.py), in
# place of default_runtime.py + the 40k schedule: the same runtime and
# optimizer shrunk to a few minutes on a 2-core CPU (800 iterations of 4
# whole images, a higher lr for the short run, one validation and one
# checkpoint at the end), DDP over gloo. The demo configs add the model base
# (the demo Swin, _base_/models/swin-demo.py) and a demo dataset base (demo
# data root, sizes, the train pipeline without augmentation, the demo set's
# classes and their pixel counts).
_base_ = ['./default_runtime.py', './schedules/schedule_40k_adamw_cosine.py']
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
# A fixed seed: `make demo` prints the same numbers on every run (up to CPU
# float reductions, which depend on the thread count).
randomness = dict(seed=0)
warmup_iters = 20
max_iters = 800
optim_wrapper = dict(optimizer=dict(lr=3e-3))
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
# One validation, at the end: no best checkpoint to pick.
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None))
# The class-map heads' loss on the demo sets, whose background covers most
# pixels: cross-entropy with class weights (f_max / f_c) ** power from the
# demo train split's class pixel counts (each demo config adds them as
# `class_frequency`; mmvmt/models/losses/class_balanced_ce_loss.py).
demo_class_loss = dict(type='ClassBalancedCELoss', power=0.5)
