# The literature-setting twin of
#   lora-r4-per-task_swin-t_4xb8-40k_nyud-mt-448x576.py
# with the published setting as its one base (configs/_base_/literature/:
# data protocol, public recipe, literature decoder) instead of the
# original's model, dataset, runtime and schedule bases;
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = ['../_base_/literature/nyud-mt_peft.py']
# As the VMT NYUD config: no single-task baseline ships for NYUD.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
model = dict(
    backbone=dict(
        method=dict(type='LoRA', rank=4, alpha=4, dropout=0.0), per_task=True))
