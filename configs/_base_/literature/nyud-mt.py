# The published setting on NYUD-v2 MT, for the VMT model family: the
# literature data protocol (../datasets/nyud_mt_literature.py), the public
# recipe and decoder (./recipe.py) in iterations of NYUD's train set. A
# `*-literature-448x448.py` config takes it as its one base instead of its
# original's model, dataset, runtime and schedule bases;
# ./nyud-mt_peft.py is the same for the PEFTBackbone family.
_base_ = [
    '../models/vmt_swin-t_nyud-mt.py',
    '../datasets/nyud_mt_literature.py',
    '../default_runtime.py',
    './recipe.py',
]
num_train_images = 795  # NYUD-v2 MT train split
iters_per_epoch = num_train_images // _base_.total_batch  # 24
max_iters = _base_.epochs * iters_per_epoch  # 7,200
warmup_iters = _base_.warmup_epochs * iters_per_epoch  # 480
param_scheduler = [
    dict(_base_.warmup_scheduler, end=warmup_iters + 1),
    dict(_base_.cosine_scheduler, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
# Drop-path on the stock Swin-T (configs that rebuild the backbone from
# `stock_swin` get it too). VMTSwinTransformer keeps its pretrained
# stochastic modules in eval mode, so on VMT it has no effect.
stock_swin = dict(_base_.stock_swin, drop_path_rate=_base_.drop_path_rate)
head = _base_.literature_head
model = dict(
    backbone=dict(drop_path_rate=_base_.drop_path_rate),
    decode_heads=dict(semseg=head, depth=head, normals=head))
