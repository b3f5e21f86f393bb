# VMT-Adapter Swin-T with the four PASCAL-Context multi-task heads.
_base_ = ['./vmt_swin-t.py']
task_head = _base_.task_head
model = dict(
    backbone=dict(tasks=('semseg', 'human_parts', 'sal', 'normals')),
    decode_heads=dict(
        _delete_=True,
        semseg=dict(task_head, num_classes=21),
        human_parts=dict(task_head, num_classes=7),
        sal=task_head,
        normals=task_head))
