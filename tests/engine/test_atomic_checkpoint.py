"""Atomic checkpoints: a save interrupted half-way never becomes (or corrupts) the checkpoint
that ``--resume`` picks."""
import os

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner, find_latest_checkpoint

from signmae_mm.engine import AtomicCheckpointHook, atomic_write


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def _runner(work_dir, max_iters):
    return Runner(
        model=ToyModel(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=[dict(inputs=torch.ones(2))] * 4, batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='AtomicCheckpointHook', interval=2,
                                           by_epoch=False)),
        default_scope='mmaction')


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing in mmengine catches it)."""


def test_atomic_write_keeps_old_content_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / 'iter_4.pth'
    atomic_write(b'complete old checkpoint', target)

    def die_after_half(src, dst):  # the temp file is half-written when the process dies
        assert os.path.basename(src).startswith('.tmp_iter_4.pth.')  # a name readers skip
        with open(src, 'r+b') as f:
            f.truncate(os.path.getsize(src) // 2)
        raise Killed

    monkeypatch.setattr(os, 'replace', die_after_half)
    with pytest.raises(Killed):
        atomic_write(b'x' * 1000, target)
    assert target.read_bytes() == b'complete old checkpoint'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_4.pth']  # temp removed


def test_interrupted_save_leaves_previous_checkpoint_latest(tmp_path, monkeypatch):
    runner = _runner(tmp_path, max_iters=2)
    runner.train()
    assert find_latest_checkpoint(str(tmp_path)).endswith('iter_2.pth')
    good = torch.load(tmp_path / 'iter_2.pth', weights_only=True)['state_dict']

    # a second run saves iter_2 again (e.g. a restarted job) and dies while writing it
    monkeypatch.setattr(os, 'replace',
                        lambda src, dst: (open(src, 'r+b').truncate(100), _raise(Killed)))
    runner = _runner(tmp_path, max_iters=2)
    with pytest.raises(Killed):
        runner.train()
    monkeypatch.undo()
    latest = find_latest_checkpoint(str(tmp_path))
    assert latest.endswith('iter_2.pth')
    loaded = torch.load(latest, weights_only=True)['state_dict']  # complete and loadable
    assert all(torch.equal(loaded[k], good[k]) for k in good)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.tmp_')]


def _raise(error):
    raise error


def test_hook_defaults_to_atomic_backend_for_local_dirs_only():
    assert AtomicCheckpointHook().backend_args == dict(backend='atomic_local')
    assert AtomicCheckpointHook(out_dir='s3://bucket/run').backend_args is None
    assert AtomicCheckpointHook(backend_args=dict(backend='local')).backend_args == dict(
        backend='local')
