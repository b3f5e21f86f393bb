# The independent reference of the CPU-scale table (make demo-benchmark):
# a plain CNN trained from scratch on the same demo data, with the same
# heads, losses, metric and schedule as every method of the table. The
# backbone is mmseg's stock ResNet-18 at width 32: every weight trains,
# nothing is pretrained, no mmvmt backbone code is involved. Its stage
# widths (32, 64, 128, 256 at strides 4-32) are the demo Swin's
# (demo_head_in_channels), so the heads are the same modules with the same
# parameter counts. Everything else is the VMT demo config's.
_base_ = ['../vmt/swin-t_pascal_demo.py']
cnn_width = 32
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=cnn_width,
        base_channels=cnn_width,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None))
