# NYUD-v2 (semseg, depth, normals) twin of the PASCAL config.
# BitFit: only the bias terms of the frozen Swin-T train (per-task: one copy
# and one backbone pass per task).
_base_ = [
    '../_base_/models/peft_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# As the VMT NYUD config: no single-task baseline ships for NYUD.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
model = dict(
    backbone=dict(method=dict(type='BitFit', norm_bias=True), per_task=True))
