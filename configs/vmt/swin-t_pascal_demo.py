# `make demo`: the PASCAL VMT config (swin-t_pascal.py) at CPU scale, on the
# generated demo set. The same VMT-Adapter, datasets, task losses and
# metric; it differs only in
# * the backbone: the small demo Swin that mmvmt pretrains itself
#   (_base_/models/swin-demo.py: its architecture and checkpoint; heads
#   take its widths and a narrower fusion width), in place of the ImageNet
#   Swin-T;
# * the data: the demo data root and sizes, the semseg classes of the demo
#   set (demo dataset base: `semseg_classes`, the semseg head's classes),
#   no literature baseline (no delta_m);
# * the recipe (demo_cpu.py): whole images, the CPU schedule, gloo, and
#   class-balanced cross-entropy for the class-map heads (`demo_class_loss`
#   with the demo set's class pixel counts).
# The file name keeps `swin-t` (Makefile, README). tests/test_configs checks
# that nothing else differs.
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/models/swin-demo.py',
    '../_base_/datasets/pascal_context_mt_demo.py',
    '../_base_/demo_cpu.py',
]
demo_head = dict(
    in_channels=_base_.demo_head_in_channels,
    channels=_base_.demo_head_channels)
model = dict(
    backbone=dict(_base_.demo_swin_arch, init_cfg=_base_.demo_swin_init_cfg),
    decode_heads=dict(
        semseg=dict(
            demo_head,
            num_classes=_base_.num_semseg_classes,
            loss_decode=dict(
                _base_.demo_class_loss,
                class_frequency=_base_.demo_semseg_class_pixels)),
        human_parts=dict(
            demo_head,
            loss_decode=dict(
                _base_.demo_class_loss,
                class_frequency=_base_.demo_human_parts_class_pixels)),
        sal=demo_head,
        normals=demo_head))
