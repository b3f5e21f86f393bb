# NYUD-v2 (semseg, depth, normals) twin of the PASCAL config.
# Houlsby adapter (reduction 16) in series after every Swin-T MLP (shared: one
# set for all tasks, one backbone pass).
_base_ = [
    '../_base_/models/peft_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# As the VMT NYUD config: no single-task baseline ships for NYUD.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
model = dict(
    backbone=dict(
        method=dict(type='HoulsbyAdapter', reduction=16), per_task=False))
