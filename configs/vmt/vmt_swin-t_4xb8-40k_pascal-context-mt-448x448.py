# VMT-Adapter, frozen Swin-T (ImageNet-1k), PASCAL-Context multi-task
# (semseg, human_parts, sal, normals). Alias: configs/vmt/swin-t_pascal.py.
# The VMT paper's exact schedule is not public: this follows the published
# Swin-T multi-task PEFT recipe (see the schedule base).
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
