# mmseg's Swin-B (ImageNet-1k, window 7, 224x224): the one place of its
# architecture, checkpoint (the one mmseg's configs/swin use) and the head
# widths it feeds. The Swin-B configs put `swin_arch` and `swin_init_cfg`
# into their Swin and `swin_pascal_heads` (the PASCAL heads' widths) into
# `model.decode_heads`; everything
# else is the Swin-T config's they inherit.
swin_checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/swin_base_patch4_window7_224_20220317-e9b98025.pth'  # noqa
swin_arch = dict(
    embed_dims=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32])
swin_init_cfg = dict(type='Pretrained', checkpoint=swin_checkpoint)
swin_head_in_channels = [128, 256, 512, 1024]
swin_pascal_heads = dict(
    semseg=dict(in_channels=swin_head_in_channels),
    human_parts=dict(in_channels=swin_head_in_channels),
    sal=dict(in_channels=swin_head_in_channels),
    normals=dict(in_channels=swin_head_in_channels))
