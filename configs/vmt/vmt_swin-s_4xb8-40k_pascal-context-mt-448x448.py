# VMT-Adapter, frozen Swin-S (ImageNet-1k), PASCAL-Context multi-task:
# the Swin-T config with the Swin-S of _base_/models/swin-s.py
# (architecture, mmseg's checkpoint, head widths); nothing else differs.
_base_ = [
    './vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py',
    '../_base_/models/swin-s.py',
]
model = dict(
    backbone=dict(_base_.swin_arch, init_cfg=_base_.swin_init_cfg),
    decode_heads=_base_.swin_pascal_heads)
