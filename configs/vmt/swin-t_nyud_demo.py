# The NYUD VMT config (swin-t_nyud.py) at CPU scale, on the generated NYUD
# demo set. The same VMT-Adapter, datasets, task losses and metric; it
# differs only in the backbone (the small demo Swin mmvmt pretrains itself,
# _base_/models/swin-demo.py; heads take its widths and a narrower fusion
# width), the data (demo data root and sizes, the demo set's semseg
# classes) and the recipe (demo_cpu.py: whole images, the CPU schedule,
# gloo, class-balanced cross-entropy for the semseg head). The file name
# keeps `swin-t`. tests/test_configs checks that nothing else differs.
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/models/swin-demo.py',
    '../_base_/datasets/nyud_mt_demo.py',
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
        depth=demo_head,
        normals=demo_head))
