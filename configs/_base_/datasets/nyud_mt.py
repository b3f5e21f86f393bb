# NYUD-v2 multi-task benchmark (NYUD_MT): 795 train / 654 val.
_base_ = ['./multitask_dense.py']
dataset_type = 'NYUDv2MTDataset'
data_root = 'data/NYUD_MT'
# 'edge' is available too.
tasks = ('semseg', 'depth', 'normals')
img_scale = (560, 425)
crop_size = (448, 576)
train_pipeline = _base_.train_pipeline
train_pipeline[_base_.RESIZE]['scale'] = img_scale
train_pipeline[_base_.CROP]['crop_size'] = crop_size
test_pipeline = _base_.test_pipeline
test_pipeline[_base_.TEST_RESIZE]['scale'] = img_scale
dataset = dict(type=dataset_type, data_root=data_root, tasks=tasks)
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
# No single-task baseline is shipped for NYUD: add
# `baseline=dict(semseg=..., depth=..., normals=...)` to report delta_m.
val_evaluator = dict(tasks=tasks)
test_evaluator = val_evaluator
