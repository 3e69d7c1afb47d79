import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import signmae_mm  # noqa: F401  (applies the fixes)
from signmae_mm.compat import DRNUnavailableError
from signmae_mm.compat.drn import DRN_PACKAGE


def test_mmaction_models_import_and_drn_raises():
    import mmaction.models  # noqa: F401  (fails on the stock 1.2.0 wheel without the fix)
    from mmaction.registry import MODELS

    with pytest.raises(DRNUnavailableError, match='mmaction2 from its source'):
        MODELS.build(dict(type='DRN'))


def test_stock_recognizer_builds():
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    init_default_scope('mmaction')
    model = MODELS.build(
        dict(type='Recognizer2D',
             backbone=dict(type='ResNet', depth=18, pretrained=None),
             cls_head=dict(type='TSNHead', num_classes=3, in_channels=512),
             data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCHW')))
    assert model.cls_head.num_classes == 3


def _run(code: str, pythonpath: str = '') -> subprocess.CompletedProcess:
    env = None
    if pythonpath:
        import os
        env = dict(os.environ, PYTHONPATH=pythonpath)
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=300)


def test_stock_mmaction_fails_without_the_fix():
    # Guards the premise: if this ever passes, the installed mmaction2 was fixed upstream and
    # the stub must stay out of the way (next test).
    proc = _run('import mmaction.models')
    if proc.returncode == 0:
        pytest.skip('the installed mmaction2 has no DRN packaging defect')
    assert DRN_PACKAGE in proc.stderr


def test_stub_stays_out_of_the_way_of_a_real_drn(tmp_path):
    import mmaction

    # A copy of the installed mmaction with a real drn package, first on sys.path.
    copy = tmp_path / 'site'
    shutil.copytree(Path(mmaction.__file__).parent, copy / 'mmaction',
                    ignore=shutil.ignore_patterns('.mim', '__pycache__'))
    drn = copy / 'mmaction' / 'models' / 'localizers' / 'drn'
    if not drn.exists():
        drn.mkdir()
        (drn / '__init__.py').write_text('')
        (drn / 'drn.py').write_text(textwrap.dedent('''
            from mmaction.registry import MODELS

            @MODELS.register_module()
            class DRN:
                real = True
            '''))
    proc = _run('''
        import signmae_mm
        import mmaction, mmaction.models
        from mmaction.models.localizers import drn
        from mmaction.registry import MODELS
        assert mmaction.__file__.startswith(%r), mmaction.__file__
        assert not getattr(drn, '__signmae_stub__', False)
        assert MODELS.get('DRN').real
        print('real drn used')
        ''' % str(copy), pythonpath=str(copy))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'real drn used' in proc.stdout
