# VMT-Adapter on NYUD-v2 MT under the literature protocol: the fixed
# 448x448 train/test pipeline and the reference meters of the published
# PEFT tables. Otherwise identical to vmt_swin-t_4xb8-40k_nyud-mt-448x576.py.
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt_literature.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# As the NYUD config: no single-task baseline, hence no multitask/delta_m.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
