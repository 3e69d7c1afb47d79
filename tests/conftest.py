"""Shared fixtures (small real video files written with ``cv2.VideoWriter``) and the
``requires`` marker.

``@pytest.mark.requires('full_stack')`` (mmcv's compiled ops, mmdet, mmpose), ``'mediapipe'`` or
``'transformers'``: on a stack without it the test is skipped with the install command as the
reason, except where ``SIGNMAE_TESTS_REQUIRE_ALL=1`` (CI, on the full stack), where the session
stops at collection instead: there no test may skip for a missing package.
"""
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pytest

from signmae_mm.stack import FULL_STACK_INSTALL_HINT, has_module, missing_full_stack
from signmae_mm.testing import moving_square_frames, write_video

__all__ = ['moving_square_frames', 'write_video']

REQUIRE_ALL_ENV = 'SIGNMAE_TESTS_REQUIRE_ALL'


def _missing_module(name: str) -> List[str]:
    return [] if has_module(name) else [name]


#: requirement -> (what it lacks here, install command)
_REQUIREMENTS: Dict[str, tuple] = {
    'full_stack': (missing_full_stack, FULL_STACK_INSTALL_HINT),
    'mediapipe': (lambda: _missing_module('mediapipe'), 'bash tools/install.sh'),
    'transformers': (lambda: _missing_module('transformers'), FULL_STACK_INSTALL_HINT),
}


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'requires(*names): the test needs ' + ', '.join(_REQUIREMENTS) +
        f'; skipped without it, an error with {REQUIRE_ALL_ENV}=1')


def pytest_collection_modifyitems(config, items):
    require_all = os.environ.get(REQUIRE_ALL_ENV) == '1'
    unmet: Dict[str, List[str]] = {}
    reasons: Dict[str, Optional[str]] = {}
    for item in items:
        for marker in item.iter_markers('requires'):
            for name in marker.args:
                if name not in _REQUIREMENTS:
                    raise pytest.UsageError(f'{item.nodeid}: unknown requirement {name!r} '
                                            f'(known: {", ".join(_REQUIREMENTS)})')
                if name not in reasons:
                    missing, hint = _REQUIREMENTS[name]
                    lacks = missing()
                    reasons[name] = (f'needs {name} (lacks {", ".join(lacks)}): {hint}'
                                     if lacks else None)
                if reasons[name] is None:
                    continue
                if require_all:
                    unmet.setdefault(reasons[name], []).append(item.nodeid)
                else:
                    item.add_marker(pytest.mark.skip(reason=reasons[name]))
    if unmet:
        raise pytest.UsageError(f'{REQUIRE_ALL_ENV}=1 but tests would skip: ' + '; '.join(
            f'{reason} ({len(ids)} tests, e.g. {ids[0]})' for reason, ids in unmet.items()))


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
