# The NYUD VMT config (swin-t_nyud.py) on the generated NYUD demo set, on CPU.
# Same model and datasets; differs only in the data root/sizes (demo dataset
# base), the runtime (demo_cpu.py: 600 iterations, gloo) and the checkpoint
# (none: random init, nothing to download).
# tests/test_configs checks that nothing else differs.
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt_demo.py',
    '../_base_/demo_cpu.py',
]
model = dict(backbone=dict(init_cfg=None))
# As in swin-t_nyud.py: NYUD ships no single-task baseline, hence no
# multitask/delta_m to pick the best checkpoint by.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
