# VMT-Adapter-Lite (W_up = W_down^T, learnable zero-initialised scale),
# otherwise identical to the VMT config.
# Alias: configs/vmt/swin-t-lite_pascal.py.
_base_ = ['./vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
