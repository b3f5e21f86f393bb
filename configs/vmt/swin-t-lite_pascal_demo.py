# The PASCAL VMT-Adapter-Lite config (swin-t-lite_pascal.py) at CPU scale: the
# VMT demo (swin-t_pascal_demo.py: demo Swin, demo set, CPU runtime) with the
# Lite adapter, as the Lite config is the VMT config with the Lite adapter.
_base_ = ['./swin-t_pascal_demo.py']
model = dict(backbone=dict(adapter_cfg=dict(lite=True)))
