# MTLoRA (shared LoRA r = 16 on qkv/proj/fc1/fc2 of every block, task LoRA
# r = 4 on proj/fc1/fc2 of each stage's last block, scale 4, dropout 0.05;
# patch embedding, norms, position tables and patch merging train too).
# The shared work of each stage's last block runs once; per task only the
# task LoRA updates and the task's norm2/GELU/residual stream (as the public
# code). Per-task maps are tapped before each stage's downsample (stride
# 4-32); method taps='public' taps after the patch merging, as the public
# code (heads then take in_channels=[192, 384, 768, 768]).
_base_ = [
    '../_base_/models/peft_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
model = dict(
    backbone=dict(
        method=dict(
            type='MTLoRA', rank=16, task_rank=4, scale=4.0, dropout=0.05),
        per_task=False))
