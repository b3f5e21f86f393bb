# The published setting on PASCAL-Context MT (./pascal-context-mt.py) for
# the PEFTBackbone family: its stock Swin-T (with the setting's drop-path)
# wrapped as ../models/peft_swin-t_pascal-mt.py wraps mmvmt's.
_base_ = ['./pascal-context-mt.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone=_base_.stock_swin,
        per_task=False))
