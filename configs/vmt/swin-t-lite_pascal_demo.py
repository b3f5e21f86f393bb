# The PASCAL VMT-Adapter-Lite config (swin-t-lite_pascal.py) on the generated
# demo set, on CPU: the VMT demo with the Lite adapter, as the Lite config is
# the VMT config with the Lite adapter.
_base_ = ['./swin-t_pascal_demo.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
