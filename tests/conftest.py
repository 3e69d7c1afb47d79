"""Shared fixtures: small real video files written with ``cv2.VideoWriter``."""
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest

from signmae_mm.testing import moving_square_frames, write_video

__all__ = ['moving_square_frames', 'write_video']


@pytest.fixture
def make_video(tmp_path) -> Callable[..., Path]:
    """Return ``make(name, frames=None, fps=25, **moving_square_frames_kwargs) -> Path``."""

    def make(name: str = 'clip.mp4', frames: Optional[np.ndarray] = None, fps: float = 25.0,
             **kwargs) -> Path:
        if frames is None:
            frames = moving_square_frames(**kwargs)
        return write_video(tmp_path / name, frames, fps)

    return make


@pytest.fixture(autouse=True)
def _mmaction_default_scope():
    """Leave mmengine's default scope at ``mmaction`` (our scope) after each test.

    mmdet's ``init_detector`` and mmpose's ``init_model`` switch the process-wide default scope
    (to ``mmdet`` / ``mmpose``), also from module-scoped fixtures; a later test that builds
    mmaction modules by bare name would otherwise depend on the order the tests ran in.
    """
    yield
    from mmengine.registry import DefaultScope, init_default_scope

    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name != 'mmaction':
        init_default_scope('mmaction')
