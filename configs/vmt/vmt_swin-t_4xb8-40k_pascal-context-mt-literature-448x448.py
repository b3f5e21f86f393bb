# The literature-setting twin of
#   vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py
# with the published setting as its one base (configs/_base_/literature/:
# data protocol, public recipe, literature decoder) instead of the
# original's model, dataset, runtime and schedule bases;
# tests/test_configs/test_literature_twins.py checks the rest.
_base_ = ['../_base_/literature/pascal-context-mt.py']
