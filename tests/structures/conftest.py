"""Shared helpers of the tests of signmae_mm.structures."""
import numpy as np
import pytest

from signmae_mm.structures import PART_GROUPS


def _arrays(t=4, grid=(6, 8), img_shape=(48, 64)):
    return dict(
        keypoints=np.zeros((t, 133, 2), np.float32), keypoint_scores=np.ones((t, 133), np.float32),
        person_bboxes=np.zeros((t, 4), np.float32),
        part_maps=np.zeros((t, len(PART_GROUPS)) + grid, np.uint8), img_shape=img_shape)


@pytest.fixture
def make_arrays():
    """``make_arrays(t=4, grid=(6, 8), img_shape=(48, 64))``: the arrays of a valid annotation."""
    return _arrays
