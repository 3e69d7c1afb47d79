import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from signmae_mm.compat.multimodal import VINDLU_REQUIREMENTS, disable_broken_multimodal


def _fake_transformers(root, version: str, with_chunking: bool) -> None:
    """An installed-looking ``transformers`` distribution of the given version (no code)."""
    pkg = root / 'transformers'
    pkg.mkdir(parents=True)
    for name in VINDLU_REQUIREMENTS:  # present, so only transformers decides
        if importlib.util.find_spec(name) is None:
            (root / name).mkdir()
            (root / name / '__init__.py').write_text('')
    (pkg / '__init__.py').write_text(f'__version__ = {version!r}\n')
    (pkg / 'modeling_utils.py').write_text(
        'def apply_chunking_to_forward(*args):\n    pass\n' if with_chunking else '')
    dist = root / f'transformers-{version}.dist-info'
    dist.mkdir()
    (dist / 'METADATA').write_text(
        f'Metadata-Version: 2.1\nName: transformers\nVersion: {version}\n')


def _import_models(pythonpath) -> subprocess.CompletedProcess:
    code = textwrap.dedent('''
        import signmae_mm
        import mmaction.models
        from mmaction.utils import dependency
        from mmaction.registry import MODELS
        print('WITH_MULTIMODAL', dependency.WITH_MULTIMODAL)
        try:
            MODELS.build(dict(type='VindLUVQA'))
        except ImportError as e:
            print('placeholder:', e)
        ''')
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=300)


def test_transformers_5_without_chunking_turns_multimodal_off(tmp_path):
    _fake_transformers(tmp_path, '5.2.0', with_chunking=False)
    proc = _import_models(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'WITH_MULTIMODAL False' in proc.stdout
    assert 'placeholder:' in proc.stdout and 'multi-modal' in proc.stdout


def test_noop_once_mmaction_models_is_imported():
    import mmaction.models  # noqa: F401

    assert disable_broken_multimodal() is False


def test_noop_with_transformers_4(tmp_path):
    _fake_transformers(tmp_path, '4.57.0', with_chunking=True)
    # Load the module alone: importing signmae_mm would import mmaction's VindLU, which needs
    # the real transformers 4.
    from signmae_mm.compat import multimodal
    code = textwrap.dedent(f'''
        import importlib.util
        spec = importlib.util.spec_from_file_location('mm', {multimodal.__file__!r})
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        import transformers
        assert transformers.__version__ == '4.57.0'
        print(repr(mod.multimodal_import_problem()))
        ''')
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "''"


def test_transformers_4_without_timm_turns_multimodal_off(tmp_path):
    # transformers 4 has everything VindLU takes from it, but VindLU also imports timm.
    _fake_transformers(tmp_path, '4.57.0', with_chunking=True)
    if importlib.util.find_spec('timm') is None:
        shutil.rmtree(tmp_path / 'timm')
    else:
        pytest.skip('timm is installed here')
    proc = _import_models(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'WITH_MULTIMODAL False' in proc.stdout
