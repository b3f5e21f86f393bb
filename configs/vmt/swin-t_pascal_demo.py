# `make demo`: the PASCAL VMT config (swin-t_pascal.py) at CPU scale, on the
# generated demo set. The same VMT-Adapter, heads, datasets, losses and
# metric; it differs only in
# * the backbone: the small demo Swin that mmvmt pretrains itself
#   (_base_/models/swin-demo.py: its architecture and checkpoint; heads
#   take its widths), in place of the ImageNet Swin-T;
# * the data: the demo data root and sizes, the semseg classes of the demo
#   set (demo dataset base: `semseg_classes`, the semseg head's classes);
# * the runtime (demo_cpu.py: 600 iterations, gloo).
# The file name keeps `swin-t` (Makefile, README). tests/test_configs checks
# that nothing else differs, tests/test_tools/test_demo_benchmark.py that
# this file is tools/analysis_tools/demo_benchmark.py's transplant of
# swin-t_pascal.py.
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/models/swin-demo.py',
    '../_base_/datasets/pascal_context_mt_demo.py',
    '../_base_/demo_cpu.py',
]
model = dict(
    backbone=dict(_base_.demo_swin_arch, init_cfg=_base_.demo_swin_init_cfg),
    decode_heads=dict(
        semseg=dict(
            in_channels=_base_.demo_head_in_channels,
            num_classes=_base_.num_semseg_classes),
        human_parts=dict(in_channels=_base_.demo_head_in_channels),
        sal=dict(in_channels=_base_.demo_head_in_channels),
        normals=dict(in_channels=_base_.demo_head_in_channels)))
