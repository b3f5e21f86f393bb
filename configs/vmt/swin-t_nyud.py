# Short alias promised by the README.
_base_ = ['./vmt_swin-t_4xb8-40k_nyud-mt-448x576.py']
