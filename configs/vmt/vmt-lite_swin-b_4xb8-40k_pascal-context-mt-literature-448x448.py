# The literature-setting twin of
#   vmt-lite_swin-b_4xb8-40k_pascal-context-mt-448x448.py
# with its original's base's literature twin as its base;
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = ['./vmt_swin-b_4xb8-40k_pascal-context-mt-literature-448x448.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
