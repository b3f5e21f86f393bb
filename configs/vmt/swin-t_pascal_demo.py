# `make demo`: the PASCAL VMT config (swin-t_pascal.py) on the generated demo
# set, on CPU. Same model and datasets; differs only in the data root/sizes
# (demo dataset base), the runtime (demo_cpu.py: 600 iterations, gloo) and
# the checkpoint (none: random init, nothing to download).
# tests/test_configs checks that nothing else differs.
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt_demo.py',
    '../_base_/demo_cpu.py',
]
model = dict(backbone=dict(init_cfg=None))
