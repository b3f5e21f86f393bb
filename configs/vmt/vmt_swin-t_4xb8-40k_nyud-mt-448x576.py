# VMT-Adapter, frozen Swin-T (ImageNet-1k), NYUD-v2 multi-task
# (semseg, depth, normals). Alias: configs/vmt/swin-t_nyud.py.
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# NYUD ships no single-task baseline, hence no multitask/delta_m to pick the
# best checkpoint by; add `baseline=...` to the evaluator and switch back.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
