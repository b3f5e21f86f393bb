# PASCAL-Context multi-task benchmark (PASCAL_MT): 4998 train / 5105 val.
# Convert the raw tree once first:
#   python tools/dataset_converters/pascal_mt.py data/PASCAL_MT
dataset_type = 'PascalContextMTDataset'
data_root = 'data/PASCAL_MT'
# 'edge' is available too.
tasks = ('semseg', 'human_parts', 'sal', 'normals')
img_scale = (512, 512)
crop_size = (448, 448)
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
# delta_m against the single-task full fine-tuning Swin-T baseline of the
# literature (mmvmt/data/pascal_mt_facts.json, `literature_baselines`).
val_evaluator = dict(
    type='MultiTaskMetric',
    tasks=tasks,
    baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
test_evaluator = val_evaluator
