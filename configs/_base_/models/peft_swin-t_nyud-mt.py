# A frozen stock Swin-T wrapped by PEFTBackbone, with the heads, data
# preprocessor and losses of the VMT model (./vmt_swin-t_nyud-mt.py).
# No method (the default None): nothing in the backbone trains
# (decoder-only); configs/baselines set `model.backbone.method`, `per_task`.
_base_ = ['./vmt_swin-t_nyud-mt.py']  # includes ./swin-t_stock.py
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone=_base_.stock_swin,
        per_task=False))
