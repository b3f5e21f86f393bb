# VMT-Adapter on PASCAL-Context MT under the literature protocol: the
# fixed 448x448 train/test pipeline and the reference meters of the
# published PEFT tables. Otherwise identical to
# vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py (mmvmt's protocol).
_base_ = [
    '../_base_/models/vmt_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt_literature.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
