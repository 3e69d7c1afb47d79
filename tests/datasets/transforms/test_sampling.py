"""SampleSignFrames: frames sampled and decoded from inside the entry's frame range only."""
import numpy as np
import pytest
from mmaction.datasets.transforms import SampleFrames
from mmengine.dataset import Compose

from signmae_mm.datasets import is_data_error
from signmae_mm.datasets.transforms import SampleSignFrames
from signmae_mm.structures import SignAnnotationError
from signmae_mm.testing import write_video

NUM_FRAMES = 40
RANGE = (10, 25)


@pytest.fixture(scope='module')
def index_video(tmp_path_factory):
    """40 frames of 64x64; frame i is uniformly gray at level 10 + 5 * i (not from 0: the
    coding clips the darkest levels together)."""
    levels = (10 + 5 * np.arange(NUM_FRAMES)).astype(np.uint8)
    frames = np.broadcast_to(levels[:, None, None, None], (NUM_FRAMES, 64, 64, 3)).copy()
    return str(write_video(tmp_path_factory.mktemp('sampling') / 'index.mp4', frames))


@pytest.fixture(scope='module')
def decoded_levels(index_video):
    """The mean level of every frame as decord decodes it: mp4 coding maps gray 10 + 5 * i to a
    level a few units off, so frames are told apart by the nearest of these, not by 5 * i."""
    import decord
    reader = decord.VideoReader(index_video, num_threads=1)
    levels = reader.get_batch(list(range(NUM_FRAMES))).asnumpy().mean(axis=(1, 2, 3))
    assert len(reader) == NUM_FRAMES and (np.diff(levels) > 3).all(), levels
    return levels


def _decoded_indices(imgs, levels):
    means = np.array([img.mean() for img in imgs])
    indices = np.abs(means[:, None] - levels[None]).argmin(1)
    # well inside half a step (5 levels) of the frame it is taken for
    assert np.abs(means - levels[indices]).max() < 1.5, (means, levels[indices])
    return indices


def _run(video, frame_range, **sample):
    pipeline = Compose([dict(type='DecordInit'), dict(type='SampleSignFrames', **sample),
                        dict(type='DecordDecode')])
    results = dict(filename=video, start_index=0, modality='RGB')
    if frame_range is not None:
        results['frame_range'] = frame_range
    return pipeline(results)


@pytest.mark.parametrize('sample', [
    dict(clip_len=4, frame_interval=2, num_clips=1),
    dict(clip_len=8, frame_interval=3, num_clips=1),  # longer than the range: loops inside it
    dict(clip_len=8, frame_interval=3, num_clips=1, out_of_bound_opt='repeat_last'),
    dict(clip_len=2, frame_interval=1, num_clips=3, temporal_jitter=True),
], ids=['fits', 'loops', 'repeat-last', 'jitter'])
def test_train_mode_samples_only_inside_the_range(index_video, decoded_levels, sample):
    seen = set()
    for seed in range(25):
        np.random.seed(seed)
        out = _run(index_video, RANGE, **sample)
        inds = out['frame_inds']
        assert ((inds >= RANGE[0]) & (inds < RANGE[1])).all(), (seed, inds)
        assert (_decoded_indices(out['imgs'], decoded_levels) == inds).all(), (seed, inds)
        # the rest of the pipeline sees the video's frame count, not the range's
        assert out['total_frames'] == NUM_FRAMES
        seen.update(inds.tolist())
    if sample['clip_len'] * sample['frame_interval'] < RANGE[1] - RANGE[0]:
        assert len(seen) > 8  # the random offsets do move the clip around the range


@pytest.mark.parametrize('num_clips', [1, 2, 5])
def test_test_mode_clips_stay_inside_the_range(index_video, decoded_levels, num_clips):
    out = _run(index_video, RANGE, clip_len=4, frame_interval=2, num_clips=num_clips,
               test_mode=True)
    inds = out['frame_inds']
    assert len(inds) == 4 * num_clips
    assert inds.min() >= RANGE[0] and inds.max() < RANGE[1]
    assert (_decoded_indices(out['imgs'], decoded_levels) == inds).all()
    if num_clips > 1:  # the clips span the range: the first starts at it, the last ends at it
        assert inds[0] == RANGE[0] and inds[-1] == RANGE[1] - 1


def test_open_ended_range_and_start_index(index_video, decoded_levels):
    out = _run(index_video, (30, None), clip_len=4, frame_interval=3, num_clips=1,
               test_mode=True)
    assert out['frame_inds'].min() >= 30 and out['frame_inds'].max() < NUM_FRAMES
    assert (_decoded_indices(out['imgs'], decoded_levels) == out['frame_inds']).all()
    # a 1-based start_index shifts the indices as SampleFrames does, the range stays 0-based
    results = dict(total_frames=NUM_FRAMES, start_index=1, frame_range=[10, 25])
    inds = SampleSignFrames(clip_len=4, frame_interval=2, test_mode=True)(results)['frame_inds']
    assert inds.min() - 1 >= 10 and inds.max() - 1 < 25


@pytest.mark.parametrize('sample', [
    dict(clip_len=4, frame_interval=2, num_clips=1),
    dict(clip_len=16, frame_interval=4, num_clips=1),
    dict(clip_len=4, frame_interval=2, num_clips=3, temporal_jitter=True),
    dict(clip_len=4, frame_interval=2, num_clips=2, test_mode=True),
    dict(clip_len=1, frame_interval=1, num_clips=4, test_mode=True, twice_sample=True),
    dict(clip_len=8, frame_interval=1, num_clips=1, keep_tail_frames=True),
])
def test_without_a_range_it_is_sample_frames(sample):
    ours, theirs = SampleSignFrames(**sample), SampleFrames(**sample)
    assert ours.honours_frame_range and not getattr(theirs, 'honours_frame_range', False)
    for total in (7, 40):
        for seed in range(5):
            runs = []
            for transform, extra in ((ours, {}), (ours, dict(frame_range=None)), (theirs, {})):
                np.random.seed(seed)
                runs.append(transform(dict(total_frames=total, start_index=0, **extra)))
            for out in runs[:2]:
                assert np.array_equal(out['frame_inds'], runs[2]['frame_inds'])
                assert out['frame_inds'].dtype == runs[2]['frame_inds'].dtype
                assert out['total_frames'] == total
    assert repr(ours).startswith('SampleSignFrames(clip_len=')


@pytest.mark.parametrize('frame_range, message', [
    ((30, 50), r'\[30, 50\) is not inside the video\'s 40 frames'),
    ((-1, 5), r'\[-1, 5\) is not inside'),
    ((12, 12), r'\[12, 12\) is not inside'),
    ((20, 10), r'\[20, 10\) is not inside'),
    ((40, None), r'\[40, 40\) is not inside'),
    ((1.5, 10), r'must hold integers'),
    ((3, ), r'must be a \(start, end\) pair'),
])
def test_range_outside_the_video_is_a_data_error(frame_range, message):
    transform = SampleSignFrames(clip_len=4)
    results = dict(filename='videos/v7.mp4', total_frames=NUM_FRAMES, start_index=0,
                   frame_range=frame_range)
    with pytest.raises(SignAnnotationError, match=r'videos/v7.mp4: .*' + message) as info:
        transform(results)
    # the sample guard replaces such a sample in training instead of stopping the run
    assert is_data_error(info.value)
    assert results['total_frames'] == NUM_FRAMES
