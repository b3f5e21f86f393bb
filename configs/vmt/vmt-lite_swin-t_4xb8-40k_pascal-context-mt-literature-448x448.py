# VMT-Adapter-Lite under the literature protocol, otherwise identical to
# the VMT literature config.
_base_ = ['./vmt_swin-t_4xb8-40k_pascal-context-mt-literature-448x448.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
