# Single-task full fine-tuning (the delta_m baseline): depth only
# on NYUD-v2, the stock Swin-T (ImageNet-1k) fully trainable with
# the same MultiScaleFusionHead. Everything else (data, pipeline,
# schedule, metric) is the multi-task twin's, which this inherits.
_base_ = ['../vmt/vmt_swin-t_4xb8-40k_nyud-mt-448x576.py']
model = dict(
    # The stock Swin-T the twin's VMT backbone is built on
    # (_base_/models/swin-t_stock.py); mmseg's SwinTransformer with
    # frozen_stages=-1 freezes nothing: every weight (patch embedding,
    # blocks, norms, relative position bias tables, patch merging) trains.
    backbone=dict(_base_.stock_swin, _delete_=True, frozen_stages=-1),
    # The twin's head of the task, alone.
    decode_heads=dict(_delete_=True, depth=_base_.model.decode_heads.depth))
tasks = ('depth', )
dataset = dict(tasks=tasks)
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
# No shipped NYUD baseline: keep the best checkpoint by the
# task's primary metric (TaskSpec.metric).
default_hooks = dict(checkpoint=dict(save_best='depth/rmse', rule='less'))
