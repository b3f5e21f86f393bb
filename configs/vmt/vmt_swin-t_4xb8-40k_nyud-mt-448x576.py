# VMT-Adapter, frozen Swin-T (ImageNet-1k), NYUD-v2 multi-task
# (semseg 40 classes, depth, normals; add 'edge' to `tasks` and a head to
# train edges too). Alias: configs/vmt/swin-t_nyud.py.
_base_ = [
    '../_base_/models/vmt_swin-t.py',
    '../_base_/datasets/nyud_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
tasks = ('semseg', 'depth', 'normals')
task_head = _base_.task_head
model = dict(
    backbone=dict(tasks=tasks),
    decode_heads=dict(
        _delete_=True,
        semseg=dict(task_head, num_classes=40),
        depth=task_head,
        normals=task_head))
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
# No single-task baseline is shipped for NYUD: delta_m is reported once you
# add `baseline=dict(semseg=..., depth=..., normals=...)` from your own runs.
val_evaluator = dict(type='MultiTaskMetric', tasks=tasks)
test_evaluator = val_evaluator
