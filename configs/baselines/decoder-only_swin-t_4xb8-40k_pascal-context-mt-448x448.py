# Decoder-only: frozen stock Swin-T, only the four task heads train.
_base_ = [
    '../_base_/models/peft_swin-t_pascal-mt.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_cosine.py',
]
