"""Test and demo helpers; not imported by ``import mmvmt``.

* :mod:`mmvmt.testing.demo_data`: tiny synthetic PASCAL_MT / NYUD_MT sets.
* :mod:`mmvmt.testing.random_batch`: a random batch with every task's target.
"""
