# VMT-Adapter on a frozen ImageNet-1k Swin-T, one light fusion head per task.
# The per-benchmark model configs add `model.decode_heads` (task -> head, the
# heads' class counts); the backbone takes its task list from those keys.
checkpoint_file = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth'  # noqa
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
    backbone=dict(
        type='VMTSwinTransformer',
        adapter_cfg=dict(type='VMTAdapter', reduction=16, lite=False),
        trainable_patterns=(),
        pretrain_img_size=224,
        embed_dims=96,
        patch_size=4,
        window_size=7,
        mlp_ratio=4,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        strides=(4, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        qkv_bias=True,
        qk_scale=None,
        patch_norm=True,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.,
        use_abs_pos_embed=False,
        act_cfg=dict(type='GELU'),
        norm_cfg=dict(type='LN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    # None: the per-task loss weights of the task table (mmvmt/tasks.py).
    task_weights=None,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
