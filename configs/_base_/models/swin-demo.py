# The demo Swin: a small mmseg SwinTransformer (4 stages, window 7) that
# mmvmt pretrains itself on a synthetic source set (no download), the one
# place of its settings. Every demo config (configs/vmt/*_demo.py) and every
# method of the CPU-scale benchmark (tools/analysis_tools/demo_benchmark.py)
# puts `demo_swin_arch` and `demo_swin_init_cfg` into its Swin and
# `demo_head_in_channels` and `demo_head_channels` into its heads;
# everything else stays the full Swin-T config's. Rebuild the weights with
# `make pretrain-demo` (tools/misc/pretrain_demo_backbone.py,
# configs/pretrain_demo/).
# The shipped weights are found from any working directory: mmengine
# replaces {{ fileDirname }} with this file's folder, so the path is the
# repository's demo/weights.
demo_swin_checkpoint = \
    '{{ fileDirname }}/../../../demo/weights/swin-demo_source-seg.pth'
demo_swin_arch = dict(
    embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8])
demo_swin_init_cfg = dict(type='Pretrained', checkpoint=demo_swin_checkpoint)
demo_head_in_channels = [32, 64, 128, 256]
# Width of the heads' reduced maps and fusion conv (128 in the full
# configs): the demo Swin's widths need no more, and the CPU time does.
demo_head_channels = 32
