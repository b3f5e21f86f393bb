# `make demo`: the PASCAL VMT config on the generated demo set, on CPU.
# Differs from swin-t_pascal.py only in the data root/sizes (demo dataset
# base), the iterations (demo schedule) and the checkpoint (none: random
# init, nothing to download).
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt_demo.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_demo_cpu.py',
]
model = dict(backbone=dict(init_cfg=None))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
