# The literature protocol twin (fixed 448x448 pipeline, reference
# meters; issue 10) of
#   polyhistor-lite_swin-t_4xb8-40k_nyud-mt-448x576.py
# with only its base swapped for the literature one (dataset or VMT);
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = [
    '../_base_/models/peft_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt_literature.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# As the VMT NYUD config: no single-task baseline ships for NYUD.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
model = dict(
    backbone=dict(
        method=dict(type='PolyhistorLite', reduction=4, rank=8),
        per_task=True))
