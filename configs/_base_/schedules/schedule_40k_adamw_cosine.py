# mmvmt's recipe (the default setting; the VMT paper's schedule is not
# public): AdamW, lr 5e-4 for adapters and heads, weight decay 0.05 except
# norms, biases, adapter scales and relative position bias tables, 1.5k-iter
# linear warm-up, cosine decay, 40k iterations at a total batch of 32 (e.g.
# 4 GPUs x 8 images), float32 unless `tools/train.py --amp`. The published
# setting's recipe (the public MTLoRA code's) is ../literature/recipe.py.
optimizer = dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05)
# The constructor is mmengine's default one, logging one summary line for
# the frozen backbone instead of one warning per frozen parameter.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FrozenSummaryOptimWrapperConstructor',
    optimizer=optimizer,
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.scale': dict(decay_mult=0.0),
            '.gamma': dict(decay_mult=0.0),
            '.beta': dict(decay_mult=0.0),
            '.up_bias': dict(decay_mult=0.0),
            # As mmseg's Swin configs (and Swin's own no_weight_decay
            # keywords); per-task copies (PEFTBackbone.task_tuned) too.
            'relative_position_bias_table': dict(decay_mult=0.0),
        }))
warmup_iters = 1500
max_iters = 40000
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook with atomic writes; outdated and previous
    # best checkpoints are deleted only after the new one is complete.
    checkpoint=dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=4000,
        max_keep_ckpts=2,
        save_best='multitask/delta_m',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
