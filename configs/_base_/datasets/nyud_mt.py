# NYUD-v2 multi-task benchmark (NYUD_MT): 795 train / 654 val.
_base_ = ['./multitask_dense.py']
dataset_type = 'NYUDv2MTDataset'
data_root = 'data/NYUD_MT'
# The config's task list: the model needs one head per task (its
# `decode_heads` keys) and the evaluator reads it from the dataset. 'edge'
# is available too.
tasks = ('semseg', 'depth', 'normals')
img_scale = (560, 425)
crop_size = (448, 576)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True,
        resize_type='MultiTaskResize'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackMultiTaskInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # Ground truth is loaded after Resize: metrics run at original size.
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs')
]
dataset = dict(type=dataset_type, data_root=data_root, tasks=tasks)
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
# No single-task baseline is shipped for NYUD (the evaluator is
# multitask_dense.py's as it is): add `val_evaluator =
# dict(baseline=dict(semseg=..., depth=..., normals=...))` to report delta_m.
