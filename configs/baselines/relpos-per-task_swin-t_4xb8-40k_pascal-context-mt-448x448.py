# Relative position bias tuning: only the Swin-T window bias tables train (per-
# task: one copy and one backbone pass per task).
_base_ = [
    '../_base_/models/peft_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
model = dict(
    backbone=dict(method=dict(type='RelPosBiasTuning'), per_task=True))
