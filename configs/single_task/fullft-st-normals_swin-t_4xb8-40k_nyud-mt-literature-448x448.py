# The literature-setting twin of
#   fullft-st-normals_swin-t_4xb8-40k_nyud-mt-448x576.py
# with its original's base's literature twin as its base;
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = ['../vmt/vmt_swin-t_4xb8-40k_nyud-mt-literature-448x448.py']
model = dict(
    # The stock Swin-T the twin's VMT backbone is built on
    # (_base_/models/swin-t_stock.py); mmseg's SwinTransformer with
    # frozen_stages=-1 freezes nothing: every weight (patch embedding,
    # blocks, norms, relative position bias tables, patch merging) trains.
    backbone=dict(_base_.stock_swin, _delete_=True, frozen_stages=-1),
    # The twin's head of the task, alone.
    decode_heads=dict(
        _delete_=True, normals=_base_.model.decode_heads.normals))
tasks = ('normals', )
dataset = dict(tasks=tasks)
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
# No shipped NYUD baseline: keep the best checkpoint by the
# task's primary metric (TaskSpec.metric).
default_hooks = dict(checkpoint=dict(save_best='normals/mean', rule='less'))
