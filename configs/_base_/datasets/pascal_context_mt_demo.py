# Tiny synthetic PASCAL_MT (same layout, 128x160 images). Create it with
#   python tools/misc/generate_demo_data.py data/demo --dataset pascal \
#       --convert
# The pipelines are those of pascal_context_mt.py at the demo sizes.
_base_ = './pascal_context_mt.py'
data_root = 'data/demo/PASCAL_MT'
# The semseg classes the demo scenes use, in VOC order, as a class subset
# of the dataset (pixels of other classes would become 255), so the
# semseg mIoU averages over classes that occur. A literal, as config
# files cannot import; a test keeps it equal to
# mmvmt.testing.demo_data.demo_semseg_classes('pascal'). Model configs
# size the semseg head with `_base_.num_semseg_classes`.
semseg_classes = ('background', 'bottle', 'car', 'chair', 'dog', 'horse',
                  'person', 'pottedplant', 'sofa', 'tvmonitor')
num_semseg_classes = len(semseg_classes)
img_scale = (160, 128)
crop_size = (96, 96)
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
    dataset=dict(
        data_root=data_root,
        pipeline=train_pipeline,
        metainfo=dict(classes=semseg_classes)))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        pipeline=test_pipeline,
        metainfo=dict(classes=semseg_classes)))
test_dataloader = val_dataloader
