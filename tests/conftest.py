"""Fixtures shared by every test."""
import pytest
from mmengine.registry import init_default_scope

import mmvmt  # noqa: F401


@pytest.fixture(autouse=True)
def _mmseg_scope():
    """Every test runs in the mmseg scope, as under the Runner."""
    init_default_scope('mmseg')
    yield
