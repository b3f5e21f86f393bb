# VMT-Adapter Swin-T with NYUD-v2 multi-task heads (semseg 40 classes, depth,
# normals). To train edges too, add 'edge' to the backbone tasks and a head
# here, and the task to the dataset config.
_base_ = ['./vmt_swin-t.py']
task_head = _base_.task_head
model = dict(
    backbone=dict(tasks=('semseg', 'depth', 'normals')),
    decode_heads=dict(
        _delete_=True,
        semseg=dict(task_head, num_classes=40),
        depth=task_head,
        normals=task_head))
