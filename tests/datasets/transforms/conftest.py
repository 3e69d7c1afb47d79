"""Fixtures of the pose-transform tests."""
import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmaction_scope():
    """Build from mmaction2's registries whatever scope earlier tests left."""
    init_default_scope('mmaction')
