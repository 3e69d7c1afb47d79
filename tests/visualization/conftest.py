"""A one-video-per-sign demo set for the visualisation tests."""
import pytest

from signmae_mm.demo import write_demo_dataset


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    return write_demo_dataset(str(tmp_path_factory.mktemp('demo')), num_classes=2,
                              videos_per_class=1, num_frames=16, size=64, seed=2,
                              val_fraction=0, test_fraction=0)
