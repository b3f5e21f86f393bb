# The NYUD VMT config on the generated NYUD demo set, on CPU.
# Differs from swin-t_nyud.py only in the data root/sizes (demo dataset
# base), the iterations (demo schedule) and the checkpoint (none: random
# init, nothing to download).
_base_ = [
    '../_base_/models/vmt_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt_demo.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_demo_cpu.py',
]
model = dict(backbone=dict(init_cfg=None))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
# NYUD ships no single-task baseline, hence no multitask/delta_m to pick the
# best checkpoint by; add `baseline=...` to the evaluator and switch back.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
