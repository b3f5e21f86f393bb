# The literature-setting twin of
#   vmt_swin-t_4xb8-40k_nyud-mt-448x576.py
# with the published setting as its one base (configs/_base_/literature/:
# data protocol, public recipe, literature decoder) instead of the
# original's model, dataset, runtime and schedule bases;
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = ['../_base_/literature/nyud-mt.py']
# NYUD ships no single-task baseline, hence no multitask/delta_m to pick the
# best checkpoint by; add `baseline=...` to the evaluator and switch back.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
