# `make demo-add-task`, step 1: the PASCAL VMT demo (../swin-t_pascal_demo.py)
# trained on two of its tasks, semseg and normals. Step 2
# (./swin-t_pascal-semseg-normals_add-sal_demo.py) adds saliency to the
# trained model without changing these two tasks' predictions.
_base_ = ['../swin-t_pascal_demo.py']
tasks = ('semseg', 'normals')
model = dict(
    decode_heads=dict(
        _delete_=True,
        semseg=_base_.model.decode_heads.semseg,
        normals=_base_.model.decode_heads.normals))
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = val_dataloader
