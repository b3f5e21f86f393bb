# Short alias promised by the README.
_base_ = ['./vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py']
