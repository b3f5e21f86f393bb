# PASCAL-Context MT under the literature protocol: the fixed 448x448
# pipeline of the published multi-task PEFT tables (MTLoRA and others,
# after the ASTMT / MTI-Net data code), for training AND evaluation. The
# dataset, tasks and baseline are those of pascal_context_mt.py (mmvmt's
# original-resolution protocol); see
# mmvmt/datasets/transforms/literature.py for each convention.
_base_ = ['./pascal_context_mt.py']
img_scale = (448, 448)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    # One warp about the centre; outside pixels become 0 (the reference).
    dict(
        type='MultiTaskScaleRotate',
        rotation_range=(-20, 20),
        scale_range=(0.75, 1.25)),
    dict(type='MultiTaskFixedResize', scale=img_scale, normalize_normals=True),
    dict(type='MultiTaskAddIgnoreRegions'),
    dict(type='PackMultiTaskInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # Ground truth is loaded BEFORE the resize: the metric runs on the
    # 448x448 maps, and predictions are restored to that size.
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='MultiTaskFixedResize', scale=img_scale, normalize_normals=True),
    dict(type='MultiTaskAddIgnoreRegions'),
    dict(type='SetOriShapeToImgShape'),
    dict(type='PackMultiTaskInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The reference online meters (issue 10, section 2); baseline as the base.
val_evaluator = dict(protocol='literature')
test_evaluator = val_evaluator
