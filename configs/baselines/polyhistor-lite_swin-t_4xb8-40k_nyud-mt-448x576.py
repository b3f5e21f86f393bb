# NYUD-v2 (semseg, depth, normals) twin of the PASCAL config.
# Polyhistor-Lite (Liu et al., NeurIPS 2022; no public code, mmvmt's reading
# in mmvmt/models/peft/polyhistor.py): one shared decomposed lite
# hyper-network generates each task's 24x96 template adapter kernels from
# task and layer embeddings; layer-wise k x k scaling kernels scale them to
# each stage's width (Kronecker product). Adapters are task specific from the
# first block, so the backbone runs one adapted pass per task (per_task=True;
# the hyper-network and scaling kernels are shared by the tasks).
_base_ = [
    '../_base_/models/peft_swin-t_nyud-mt.py',
    '../_base_/datasets/nyud_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
# As the VMT NYUD config: no single-task baseline ships for NYUD.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU', rule='greater'))
model = dict(
    backbone=dict(
        method=dict(type='PolyhistorLite', reduction=4, rank=8),
        per_task=True))
