# VMT-Adapter, frozen Swin-T (ImageNet-1k), PASCAL-Context multi-task
# (semseg, human_parts, sal, normals). Alias: configs/vmt/swin-t_pascal.py.
# The VMT paper's exact schedule is not public: this follows the published
# Swin-T multi-task PEFT recipe (see the schedule base).
_base_ = [
    '../_base_/models/vmt_swin-t.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
tasks = ('semseg', 'human_parts', 'sal', 'normals')
task_head = _base_.task_head
model = dict(
    backbone=dict(tasks=tasks),
    decode_heads=dict(
        _delete_=True,
        semseg=dict(task_head, num_classes=21),
        human_parts=dict(task_head, num_classes=7),
        sal=task_head,
        normals=task_head))
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
# Single-task full fine-tuning baseline of the literature (PASCAL, Swin-T;
# mmvmt/data/pascal_mt_facts.json `literature_baselines`).
val_evaluator = dict(
    type='MultiTaskMetric',
    tasks=tasks,
    baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
test_evaluator = val_evaluator
