# VMT-Adapter Swin-T with the four PASCAL-Context multi-task heads. The
# backbone serves the heads' tasks. To train edges too, add
# `edge=task_head` here and 'edge' to the dataset config's `tasks`.
_base_ = ['./vmt_swin-t.py']
task_head = _base_.task_head
model = dict(
    decode_heads=dict(
        semseg=dict(task_head, num_classes=21),
        human_parts=dict(task_head, num_classes=7),
        sal=task_head,
        normals=task_head))
