import pickle
import pickletools
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

import signmae_mm  # noqa: F401  (applies the fixes)
from signmae_mm.compat import TRUSTED_CHECKPOINTS_ENV, UntrustedCheckpointError, trust_checkpoints
from signmae_mm.compat import checkpoint as ckpt_compat


def _pickle_globals(path) -> set:
    """(module, name) of every GLOBAL / STACK_GLOBAL in a torch zip checkpoint."""
    with zipfile.ZipFile(path) as zf:
        data = zf.read(next(n for n in zf.namelist() if n.endswith('data.pkl')))
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE'):
            strings.append(arg)
        elif op.name == 'STACK_GLOBAL':
            found.add((strings[-2], strings[-1]))
        elif op.name == 'GLOBAL':
            found.add(tuple(arg.split(' ', 1)))
    return found


def _has_getattr(path) -> bool:
    return any(name == 'getattr' for _, name in _pickle_globals(path))


def _message_hub_state() -> dict:
    hub = MessageHub.get_instance('signmae_compat_test')
    for i in range(5):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
        hub.update_scalar('train/lr', np.float64(1e-3))
    hub.update_info('iter', 5)
    return hub.state_dict()


def test_history_buffer_pickles_data_only_and_keeps_statistics():
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 3.0):
        buf.update(v)
    state = buf.__getstate__()
    assert not any(callable(v) for v in state.values())
    assert 'statistics_methods' not in buf.__dict__  # stock mmengine mutated the instance
    restored = pickle.loads(pickle.dumps(buf))
    assert restored.mean() == pytest.approx(2.0)
    assert restored.statistics('max') == 3.0


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(
        dict(meta=dict(message_hub=_message_hub_state(), seed=np.int64(3)),
             state_dict={'w': torch.ones(2)}), path)
    assert not _has_getattr(path)
    # Plain torch.load with torch's own default (weights_only=True on torch >= 2.6).
    ckpt = torch.load(path, weights_only=True)
    buf = ckpt['meta']['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.current() == pytest.approx(0.2)
    assert ckpt['meta']['seed'] == 3


def test_local_loader_is_replaced_on_the_defective_stack():
    assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is ckpt_compat.load_from_local
    assert ckpt_compat._mmengine_loader_has_defect() is False  # ours is registered now


def _stock_style_checkpoint(path):
    # What stock mmengine writes: HistoryBuffer's statistics functions, i.e.
    # `getattr(HistoryBuffer, 'min')` in the pickle.
    torch.save(dict(meta=dict(statistics_methods={'min': HistoryBuffer.min}),
                    state_dict={'w': torch.zeros(1)}), path)
    assert _has_getattr(path)


def test_untrusted_checkpoint_fails_with_file_name(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUSTED_CHECKPOINTS_ENV, raising=False)
    path = tmp_path / 'stock_mmengine.pth'
    _stock_style_checkpoint(path)
    with pytest.raises(UntrustedCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    assert TRUSTED_CHECKPOINTS_ENV in str(err.value)


def test_trusted_checkpoint_by_env_folder(tmp_path, monkeypatch):
    path = tmp_path / 'trusted' / 'stock_mmengine.pth'
    path.parent.mkdir()
    _stock_style_checkpoint(path)
    other = tmp_path / 'trusted_sibling.pth'  # a prefix match of the folder name is no match
    _stock_style_checkpoint(other)
    monkeypatch.setenv(TRUSTED_CHECKPOINTS_ENV, str(tmp_path / 'trusted'))
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.zeros(1))
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(str(other), map_location='cpu')


def test_trusted_checkpoint_by_api(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUSTED_CHECKPOINTS_ENV, raising=False)
    path = tmp_path / 'api_trusted.pth'
    _stock_style_checkpoint(path)
    monkeypatch.setattr(ckpt_compat, '_trusted_paths', [])
    trust_checkpoints(str(path))
    assert _load_checkpoint(str(path), map_location='cpu')['meta']['statistics_methods']


def test_missing_checkpoint_names_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        _load_checkpoint(str(tmp_path / 'nothing.pth'))


def test_fix_is_idempotent():
    assert ckpt_compat.fix_history_buffer_pickling() is False
    assert ckpt_compat.install_safe_checkpoint_loading() is False


def test_noop_when_mmengine_is_sound(monkeypatch):
    def sound_getstate(self):
        return dict(self.__dict__)

    monkeypatch.setattr(HistoryBuffer, '__getstate__', sound_getstate)
    assert ckpt_compat.fix_history_buffer_pickling() is False
    assert HistoryBuffer.__getstate__ is sound_getstate

    def sound_loader(filename, map_location=None):
        return torch.load(filename, map_location=map_location, weights_only=True)

    monkeypatch.setitem(CheckpointLoader._schemes, '', sound_loader)
    assert ckpt_compat._mmengine_loader_has_defect() is False
