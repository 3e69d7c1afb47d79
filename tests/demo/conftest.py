"""Fixtures of the demo-data tests: one tiny demo set written once per session."""
import pytest

from _demo_checks import TINY

from signmae_mm.demo import DemoDataset, write_demo_dataset


@pytest.fixture(scope='session')
def demo_set(tmp_path_factory) -> DemoDataset:
    return write_demo_dataset(str(tmp_path_factory.mktemp('demo')), **TINY)
