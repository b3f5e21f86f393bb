# `make demo-add-task`, step 2: add saliency to the trained semseg + normals
# model of step 1 (docs/design.md section 3.1). `frozen_tasks` names the
# trained model's tasks: their heads, task norms and extraction, the
# adapters and the frozen Swin stay as loaded (requires_grad=False from
# construction); only sal's extraction, task norms and head train, and the
# task-generic stream keeps e_bar = the mean over semseg and normals, so
# their predictions are bit-identical to step 1's.
_base_ = ['./swin-t_pascal-semseg-normals_demo.py']
tasks = ('semseg', 'normals', 'sal')
model = dict(
    frozen_tasks=_base_.tasks,
    decode_heads=dict(sal=dict(_base_.task_head, **_base_.demo_head)))
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
# Step 1's last checkpoint at the demo schedule's length (`make
# demo-add-task` passes the one it trained).
load_from = ('work_dirs/demo_add_task/semseg-normals/'
             f'iter_{_base_.max_iters}.pth')
