# VMT-Adapter-Lite (W_up = W_down^T, learnable zero-initialised scale)
# on Swin-B under the literature protocol, otherwise identical to the
# Swin-B VMT literature config.
_base_ = ['./vmt_swin-b_4xb8-40k_pascal-context-mt-literature-448x448.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
