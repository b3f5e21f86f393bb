# The NYUD VMT config (swin-t_nyud.py) at CPU scale, on the generated NYUD
# demo set. The same VMT-Adapter, heads, datasets, losses and metric; it
# differs only in the backbone (the small demo Swin mmvmt pretrains itself,
# _base_/models/swin-demo.py; heads take its widths), the data (demo data
# root and sizes, the demo set's semseg classes) and the runtime
# (demo_cpu.py: 600 iterations, gloo). The file name keeps `swin-t`.
# tests/test_configs checks that nothing else differs.
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/models/swin-demo.py',
    '../_base_/datasets/nyud_mt_demo.py',
    '../_base_/demo_cpu.py',
]
model = dict(
    backbone=dict(_base_.demo_swin_arch, init_cfg=_base_.demo_swin_init_cfg),
    decode_heads=dict(
        semseg=dict(
            in_channels=_base_.demo_head_in_channels,
            num_classes=_base_.num_semseg_classes),
        depth=dict(in_channels=_base_.demo_head_in_channels),
        normals=dict(in_channels=_base_.demo_head_in_channels)))
# As in swin-t_nyud.py: NYUD ships no single-task baseline, hence no
# multitask/delta_m to pick the best checkpoint by.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
