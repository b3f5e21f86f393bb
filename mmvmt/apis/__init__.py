"""Inference APIs (OpenMMLab's ``apis``: build a model, run it on images).

Empty for now: run models through ``tools/test.py``. Parameter counting,
formerly here, is :mod:`mmvmt.utils.param_count`.
"""

__all__: list = []
