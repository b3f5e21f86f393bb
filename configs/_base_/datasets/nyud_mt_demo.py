# Tiny synthetic NYUD_MT (same layout, 128x160 images). Create it with
#   python tools/misc/generate_demo_data.py data/demo --dataset nyud
# The pipelines are those of nyud_mt.py at the demo sizes.
_base_ = './nyud_mt.py'
data_root = 'data/demo/NYUD_MT'
img_scale = (160, 128)
crop_size = (96, 128)
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
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
