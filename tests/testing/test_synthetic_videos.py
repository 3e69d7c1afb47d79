import decord
import numpy as np
import pytest

from signmae_mm.testing import make_video_dataset, moving_square_frames, write_video


def test_written_video_reads_back_through_decord(tmp_path):
    frames = moving_square_frames(num_frames=10, size=(48, 64), square=16, colour=(0, 0, 255))
    path = write_video(tmp_path / 'a.mp4', frames)
    reader = decord.VideoReader(str(path))
    assert len(reader) == 10
    first = reader[0].asnumpy()  # RGB
    assert first.shape == (48, 64, 3)
    # The square starts at the left edge, vertically centred: red in RGB.
    patch = first[18:30, 2:14].astype(int)
    assert patch[..., 0].mean() > 180 and patch[..., 2].mean() < 80


def test_moving_square_moves():
    frames = moving_square_frames(num_frames=8, size=32, square=8, direction='down')
    rows = [np.nonzero((f == (0, 0, 255)).all(-1).any(1))[0].min() for f in frames]
    assert rows == sorted(rows) and rows[-1] > rows[0]


def test_bad_frames_name_the_file(tmp_path):
    with pytest.raises(ValueError, match='bad.mp4'):
        write_video(tmp_path / 'bad.mp4', np.zeros((2, 8, 8), np.uint8))


def test_dataset_lists(tmp_path):
    paths = make_video_dataset(tmp_path, num_classes=3, videos_per_class=2, num_frames=4, size=32)
    train = paths['train'].read_text().split('\n')
    val = paths['val'].read_text().split('\n')
    assert [line.split()[1] for line in train if line] == ['0', '1', '2']
    assert len([v for v in val if v]) == 3
    for line in filter(None, train + val):
        assert (paths['data_prefix'] / line.split()[0]).is_file()
