"""signmae_mm.utils.atomic_write: the one all-or-nothing file write of the package."""
import json
import os
from pathlib import Path

import pytest

from signmae_mm.utils import TMP_PREFIX, atomic_open, atomic_path, atomic_write, is_temporary


class Killed(BaseException):
    """Stands for the process dying half-way (not an Exception: nothing catches it)."""


def test_writes_bytes_and_text_and_creates_the_folder(tmp_path):
    target = tmp_path / 'new' / 'dir' / 'f.bin'
    atomic_write(b'\x00\x01', target)
    assert target.read_bytes() == b'\x00\x01'
    atomic_write('héllo', str(target))
    assert target.read_bytes() == 'héllo'.encode('utf-8')
    with atomic_open(tmp_path / 'x.json', 'w') as f:
        json.dump(dict(a=1), f)
    assert json.loads((tmp_path / 'x.json').read_text()) == dict(a=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['new', 'x.json']


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / 'ann.npz'
    atomic_write(b'old', target)
    seen = []
    with pytest.raises(Killed):
        with atomic_open(target) as f:
            f.write(b'half of the new')
            seen.extend(n for n in os.listdir(tmp_path) if n != 'ann.npz')
            raise Killed
    assert target.read_bytes() == b'old'
    assert len(seen) == 1 and seen[0].startswith(f'{TMP_PREFIX}ann.npz.') and is_temporary(seen[0])
    assert os.listdir(tmp_path) == ['ann.npz']


def test_a_failed_rename_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'

    def fail(src, dst):
        raise OSError('disk gone')

    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(OSError, match='disk gone'):
        atomic_write(b'data', target)
    assert os.listdir(tmp_path) == []


def test_permissions_are_those_open_would_give(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(b'a', tmp_path / 'new')
        assert (tmp_path / 'new').stat().st_mode & 0o777 == 0o640  # not mkstemp's 0o600
    finally:
        os.umask(old)
    (tmp_path / 'kept').write_bytes(b'x')
    os.chmod(tmp_path / 'kept', 0o604)
    atomic_write(b'y', tmp_path / 'kept')
    assert (tmp_path / 'kept').stat().st_mode & 0o777 == 0o604


def test_mode_and_temporary_names():
    with pytest.raises(ValueError, match='mode must be'):
        with atomic_open('never', 'a'):
            pass
    assert is_temporary('/x/.tmp_ann.npz.k2j3') and not is_temporary('/x/ann.npz')
    assert not is_temporary('/.tmp_dir/ann.npz')  # only the file's own name counts


def test_atomic_path_for_writers_that_take_a_file_name(tmp_path):
    target = tmp_path / 'v' / 'clip.mp4'
    with atomic_path(target) as tmp:
        assert tmp.endswith('.mp4') and is_temporary(tmp)  # the extension picks the format
        Path(tmp).write_bytes(b'frames')
        assert not target.exists()
    assert target.read_bytes() == b'frames'
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        Path(tmp).write_bytes(b'half')
        raise RuntimeError('the writer failed')
    assert target.read_bytes() == b'frames' and sorted(os.listdir(target.parent)) == ['clip.mp4']
    with pytest.raises(FileNotFoundError, match='nothing was written'), \
            atomic_path(tmp_path / 'empty.mp4') as tmp:
        os.unlink(tmp)  # a writer that could not open the file leaves nothing
    assert not (tmp_path / 'empty.mp4').exists()
