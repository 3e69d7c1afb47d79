"""Video decoding (decord's frame count, BGR frames, clear errors) and the input lists."""
import json

import decord
import pytest

from signmae_mm.preprocessing import VideoDecodeError, VideoFrames, load_video_list, parse_shard
from signmae_mm.structures import dump_annotation_list
from signmae_mm.testing import moving_square_frames, write_video


def test_frames_are_bgr_and_counted_like_the_dataset(tmp_path):
    frames = moving_square_frames(7, (64, 96), square=24, colour=(0, 0, 255))
    path = write_video(tmp_path / 'v.mp4', frames)
    with VideoFrames(str(path)) as reader:
        assert len(reader) == len(decord.VideoReader(str(path))) == 7
        assert reader.img_shape == (64, 96) and reader.fps == pytest.approx(25)
        chunks = list(reader.chunks(3))
        assert [s for s, _ in chunks] == [0, 3, 6] and [len(c) for _, c in chunks] == [3, 3, 1]
        first = chunks[0][1][0].astype(int)
        red = first[20:44, 2:22]  # the square (BGR red) at the left edge
        assert red[..., 2].mean() > 180 and red[..., 0].mean() < 80


def test_undecodable_videos_name_the_file(tmp_path):
    with pytest.raises(VideoDecodeError, match='missing.mp4: video file not found'):
        VideoFrames(str(tmp_path / 'missing.mp4'))
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'\x00' * 2048)
    with pytest.raises(VideoDecodeError, match='bad.mp4: cannot open the video'):
        VideoFrames(str(bad))


def test_video_lists(tmp_path):
    txt = tmp_path / 'list.txt'
    txt.write_text('# comment\na/x.mp4 3\n\nb/y.avi\nc.mp4 1 2\n')
    meta, items = load_video_list(str(txt))
    assert meta == {} and [(i.filename, i.label, i.sign_ann) for i in items] == [
        ('a/x.mp4', 3, 'a/x.npz'), ('b/y.avi', -1, 'b/y.npz'), ('c.mp4', [1, 2], 'c.npz')]
    txt.write_text('a.mp4 three\n')
    with pytest.raises(ValueError, match=r'list.txt, line 1'):
        load_video_list(str(txt))
    lst = dump_annotation_list(str(tmp_path / 'l.json'), [
        dict(filename='v/1.mp4', label=2, gloss='book', frame_start=3),
        dict(filename='v/2.mp4', label=0, sign_ann='custom/2.npz')], dict(classes=['a']))
    meta, items = load_video_list(lst)
    assert meta['classes'] == ['a']
    assert items[0].sign_ann == 'v/1.npz' and items[0].extra == dict(gloss='book',
                                                                     frame_start=3)
    assert items[1].sign_ann == 'custom/2.npz'
    (tmp_path / 'bad.json').write_text(json.dumps(dict(data_list=[dict(label=1)])))
    with pytest.raises(ValueError, match='entry 0'):
        load_video_list(str(tmp_path / 'bad.json'))
    folder = tmp_path / 'videos'
    write_video(folder / 'z' / 'b.mp4', moving_square_frames(2, 64))
    (folder / 'notes.txt').write_text('x')
    assert [i.filename for i in load_video_list(str(folder))[1]] == ['z/b.mp4']


def test_parse_shard():
    assert parse_shard('0/1') == (0, 1) and parse_shard('3/4') == (3, 4)
    for bad in ('4/4', '1', 'a/b', '0/0', '-1/2'):
        with pytest.raises(ValueError):
            parse_shard(bad)
