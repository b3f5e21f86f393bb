# PASCAL-Context multi-task benchmark (PASCAL_MT): 4998 train / 5105 val.
# Convert the raw tree once first:
#   python tools/dataset_converters/pascal_mt.py data/PASCAL_MT
_base_ = ['./multitask_dense.py']
dataset_type = 'PascalContextMTDataset'
data_root = 'data/PASCAL_MT'
# The config's task list: the model needs one head per task (its
# `decode_heads` keys) and the evaluator reads it from the dataset. 'edge'
# is available too.
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
dataset = dict(type=dataset_type, data_root=data_root, tasks=tasks)
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
# delta_m against the single-task full fine-tuning Swin-T baseline of the
# literature (mmvmt/data/pascal_mt_facts.json, `literature_baselines`).
val_evaluator = dict(
    baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
test_evaluator = val_evaluator
