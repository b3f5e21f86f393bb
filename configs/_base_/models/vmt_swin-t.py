# VMT-Adapter on a frozen ImageNet-1k Swin-T, one light fusion head per task.
# The per-benchmark model configs add `model.decode_heads` (task -> head, the
# heads' class counts); the backbone takes its task list from those keys.
_base_ = ['./swin-t_stock.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='MultiTaskDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    size_divisor=32)
# Shared settings of every task head; configs add `num_classes` for class
# tasks (the task comes from the head's key in `decode_heads`).
task_head = dict(
    type='MultiScaleFusionHead',
    in_channels=[96, 192, 384, 768],
    in_index=[0, 1, 2, 3],
    channels=128,
    norm_cfg=norm_cfg,
    align_corners=False)
model = dict(
    type='MultiTaskEncoderDecoder',
    data_preprocessor=data_preprocessor,
    # The stock Swin-T of ./swin-t_stock.py with a VMT-Adapter per block.
    backbone=dict(
        _base_.stock_swin,
        type='VMTSwinTransformer',
        adapter_cfg=dict(type='VMTAdapter', reduction=16, lite=False),
        trainable_patterns=()),
    # None: the per-task loss weights of the task table (mmvmt/tasks.py).
    task_weights=None,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
