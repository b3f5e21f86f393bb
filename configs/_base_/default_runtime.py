# Runtime shared by every mmvmt config (mirrors mmseg's default_runtime).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmvmt'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='MultiTaskLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# Refuses a checkpoint (load_from, --resume, tools/test.py) that does not fit
# the model, listing the offending keys (`--partial-load`: strict=False loads
# what fits); loads trainable-only checkpoints on top of the pretrained
# backbone after checking its checksum. With `tools/train.py --adapter-only`
# it also saves them.
custom_hooks = [
    dict(type='TrainableCheckpointHook', trainable_only=False, strict=True)
]
