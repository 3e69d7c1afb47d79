"""Exact resume: a run SIGKILLed after epoch k and resumed with ``mim train --resume`` ends with
the same weights and the same per-iteration losses as an uninterrupted run.

The run uses the pretraining config's own loop (epoch-based), sampler (``SeededSampler``) and
hooks (``StepSeedHook``, ``AtomicCheckpointHook``), with persistent data workers: the case where
mmengine alone is not exact, since the resumed run starts fresh workers whose numpy generators
mmengine's ``worker_init_fn`` seeds as at the start of training, while the uninterrupted run's
workers had gone on drawing crops and masks for k epochs.
"""
import pytest
from _tiny_run import (assert_same_weights, load_state, logged_losses, make_demo_clips,
                       mim_train, write_tiny_config)

MAX_EPOCHS, KILL_AFTER = 4, 2
ITERS_PER_EPOCH = 2  # 4 training clips, batch 2


@pytest.fixture(scope='module')
def demo_clips(tmp_path_factory):
    return make_demo_clips(tmp_path_factory.mktemp('demo'))


@pytest.mark.parametrize('num_repeats', [1, 2], ids=['one-view', 'two-views-per-decode'])
def test_killed_and_resumed_run_equals_uninterrupted_run(tmp_path, demo_clips, num_repeats):
    """Also with repeated views (two crops / flips / masks per decoded clip)."""
    kwargs = dict(max_epochs=MAX_EPOCHS, ckpt_interval=1, workers=2, persistent=True)
    options = None if num_repeats == 1 else [
        f'train_dataloader.dataset.num_repeats={num_repeats}',
        'train_dataloader.collate_fn.type=flatten_views_collate']
    full_cfg = write_tiny_config(tmp_path / 'full.py', demo_clips, **kwargs)
    full = mim_train(full_cfg, tmp_path / 'full', cfg_options=options)
    assert full.returncode == 0, (full.stdout + full.stderr)[-5000:]

    killed_cfg = write_tiny_config(
        tmp_path / 'killed.py', demo_clips, **kwargs,
        extra_hooks=[dict(type='KillHook', epoch=KILL_AFTER)], extra_imports=['_kill_hook'])
    work = tmp_path / 'resumed'
    killed = mim_train(killed_cfg, work, cfg_options=options)
    assert killed.returncode != 0  # SIGKILLed
    assert (work / f'epoch_{KILL_AFTER}.pth').is_file()
    assert not (work / f'epoch_{KILL_AFTER + 1}.pth').exists()
    assert (work / 'last_checkpoint').read_text().endswith(f'epoch_{KILL_AFTER}.pth')

    resumed = mim_train(full_cfg, work, '--resume', cfg_options=options)
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-5000:]
    assert f'resumed epoch: {KILL_AFTER}, iter: {KILL_AFTER * ITERS_PER_EPOCH}' in log, \
        log[-3000:]

    final = f'epoch_{MAX_EPOCHS}.pth'
    losses = logged_losses(tmp_path / 'full' / final)
    assert len(losses) == MAX_EPOCHS * ITERS_PER_EPOCH and len(set(losses)) == len(losses)
    assert logged_losses(work / final) == losses
    assert_same_weights(load_state(work / final), load_state(tmp_path / 'full' / final))
