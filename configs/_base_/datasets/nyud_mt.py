# NYUD-v2 multi-task benchmark (NYUD_MT): 795 train / 654 val.
dataset_type = 'NYUDv2MTDataset'
data_root = 'data/NYUD_MT'
# 'edge' is available too.
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
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        tasks=tasks,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        tasks=tasks,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric', tasks=tasks)
test_evaluator = val_evaluator
