# The literature-setting twin of
#   vmt_swin-b_4xb8-40k_pascal-context-mt-448x448.py
# with its Swin-T base's literature twin in that base's place (the
# Swin-B base kept);
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = [
    './vmt_swin-t_4xb8-40k_pascal-context-mt-literature-448x448.py',
    '../_base_/models/swin-b.py',
]
model = dict(
    backbone=dict(_base_.swin_arch, init_cfg=_base_.swin_init_cfg),
    decode_heads=_base_.swin_pascal_heads)
