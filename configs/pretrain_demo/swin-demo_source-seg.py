# Pretraining of the demo Swin (../_base_/models/swin-demo.py) from scratch
# on the synthetic source set (mmvmt/testing/demo_data/source.py): scene
# parsing into 20 coarse classes, on other scenes, cameras and lighting than
# the demo target. A plain mmseg EncoderDecoder + SegformerHead; only the
# backbone is kept. Run it with
#   make pretrain-demo
# (tools/misc/pretrain_demo_backbone.py: writes the source set if missing,
# trains, exports demo/weights/swin-demo_source-seg.pth and its .json).
_base_ = ['../_base_/models/swin-t_stock.py', '../_base_/models/swin-demo.py']
default_scope = 'mmseg'
custom_imports = dict(imports=['mmvmt'], allow_failed_imports=False)
randomness = dict(seed=0)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'))
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

# mmvmt/testing/demo_data/source.py SOURCE_CLASSES (a test checks they agree).
source_classes = ('sky', 'ground', 'wall', 'floor', 'ceiling', 'building',
                  'tree', 'person', 'animal', 'vehicle', 'seat', 'table',
                  'bed', 'cabinet', 'screen', 'lamp', 'bottle', 'plant', 'box',
                  'clutter')
data_root = 'data/demo/SOURCE'
img_scale = (160, 128)
# Crops of the demo target's image size (the demo trains and tests on whole
# 128x160 images): with smaller crops the deepest stage sees other map sizes
# (96x96 crops: 3x3 tokens instead of 4x5), and a head trained on them
# fails on whole images.
crop_size = (128, 160)

# The normalisation of the multi-task models (../_base_/models/vmt_swin-t.py),
# so the pretrained features see the same inputs after transfer.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(_base_.stock_swin, **_base_.demo_swin_arch, init_cfg=None),
    decode_head=dict(
        type='SegformerHead',
        in_channels=_base_.demo_head_in_channels,
        in_index=[0, 1, 2, 3],
        channels=64,
        dropout_ratio=0.1,
        num_classes=len(source_classes),
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.8, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=False,
    metainfo=dict(classes=source_classes))
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        dataset,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

warmup_iters = 200
max_iters = 1500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys=dict(relative_position_bias_table=dict(decay_mult=0.))))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
