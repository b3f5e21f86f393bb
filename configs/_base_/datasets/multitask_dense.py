# Pipelines and loaders shared by the multi-task dense benchmarks. Dataset
# configs inherit this file, set `dataset_type`, `data_root`, `tasks`,
# `img_scale` and `crop_size`, and fill the sizes into the pipelines
# (`train_pipeline[RESIZE]`/`[CROP]`, `test_pipeline[TEST_RESIZE]`): mmengine
# configs cannot re-evaluate the lists below with a child's values.
RESIZE, CROP, TEST_RESIZE = 2, 3, 1
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(
        type='RandomResize',
        scale=None,
        ratio_range=(0.5, 2.0),
        keep_ratio=True,
        resize_type='MultiTaskResize'),
    dict(type='RandomCrop', crop_size=None),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackMultiTaskInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=None, keep_ratio=True),
    # Ground truth is loaded after Resize: metrics run at original size.
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(split='train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val'))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
