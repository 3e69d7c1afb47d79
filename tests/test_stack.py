"""The core / full stack split: paths that need mmdet, mmpose or mmcv's compiled ops fail at once
with the install command, on whichever stack the suite runs (the missing package is simulated by
blocking its import)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from signmae_mm.stack import (FULL_STACK_INSTALL_HINT, FullStackNotInstalledError,
                              missing_full_stack, require_full_stack)
from signmae_mm.testing import write_video

REPO = Path(__file__).resolve().parents[1]


def _run_blocked(blocked, script_args, tmp_path):
    """Run ``python -c`` with ``blocked`` modules made unimportable."""
    code = (f'import sys; sys.modules.update(dict.fromkeys({blocked!r}))\n' + script_args[0])
    return subprocess.run([sys.executable, '-c', code] + script_args[1:], capture_output=True,
                          text=True, timeout=180, cwd=str(tmp_path))


@pytest.mark.parametrize('blocked,lacks', [(['mmcv._ext'], 'mmcv ops'), (['mmdet'], 'mmdet'),
                                           (['mmpose'], 'mmpose')])
def test_missing_names_what_the_full_stack_lacks(monkeypatch, blocked, lacks):
    for name in blocked:
        monkeypatch.setitem(sys.modules, name, None)
    assert lacks in missing_full_stack()
    with pytest.raises(FullStackNotInstalledError, match='RTMDet.*' + lacks):
        require_full_stack('RTMDet')


def test_detector_and_pose_model_fail_before_importing_mmdet(monkeypatch):
    from signmae_mm.preprocessing import PersonDetector, WholeBodyPoseEstimator
    monkeypatch.setitem(sys.modules, 'mmcv._ext', None)
    for cls in (PersonDetector, WholeBodyPoseEstimator):
        with pytest.raises(FullStackNotInstalledError, match='install.sh --full'):
            cls('no_such_config.py')


def test_preprocess_tool_stops_with_the_install_option(tmp_path):
    write_video(tmp_path / 'videos' / 'v.mp4', np.zeros((2, 64, 64, 3), np.uint8))
    run = ('import runpy; sys.argv = ["preprocess.py"] + sys.argv[1:]\n'
           f'runpy.run_path({str(REPO / "tools" / "preprocess.py")!r}, run_name="__main__")\n')
    proc = _run_blocked(['mmdet', 'mmpose'], [run, str(tmp_path / 'videos'), '--out-dir',
                                              str(tmp_path / 'out'), '--pose-backend', 'mmpose'],
                        tmp_path)
    assert proc.returncode != 0
    assert FULL_STACK_INSTALL_HINT in proc.stderr, proc.stderr[-2000:]
    assert 'mmdet, mmpose' in proc.stderr and '--pose-backend mediapipe' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'out').exists() or not any((tmp_path / 'out').iterdir())


def test_import_without_mmcv_names_both_ways_to_install_it(tmp_path):
    proc = _run_blocked(['mmcv'], ['import signmae_mm'], tmp_path)
    assert proc.returncode != 0
    assert 'pip install mmcv-lite==2.1.0' in proc.stderr, proc.stderr[-2000:]
    assert FULL_STACK_INSTALL_HINT in proc.stderr
