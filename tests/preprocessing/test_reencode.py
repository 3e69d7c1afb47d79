"""Re-encoding a dataset's videos: same frames and size (the sign annotations still fit),
PSNR checked, all or nothing per file, new lists naming the new files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.preprocessing import (ReencodeError, VideoFrames, reencode_annotation_lists,
                                      reencode_video)
from signmae_mm.structures import dump_annotation_list, save_sign_annotation

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / 'tests' / 'data' / 'ntu_drink_s001c001p001r001a001.mp4'
FRAMES = 20


@pytest.fixture(scope='module')
def web_video(tmp_path_factory):
    """20 frames of the real NTU clip as VP8 (inter-coded, as web video) in a .webm."""
    frames = VideoFrames(str(CLIP)).read(0, FRAMES)
    path = tmp_path_factory.mktemp('web') / 'videos' / 'drink' / 'clip.webm'
    path.parent.mkdir(parents=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'VP80'), 30,
                             frames.shape[2:0:-1])
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def dataset_root(tmp_path, web_video):
    """A one-video dataset: the VP8 clip, its sign annotation and train list; plus a broken
    video in a second list."""
    videos = tmp_path / 'videos'
    (videos / 'drink').mkdir(parents=True)
    (videos / 'drink' / 'clip.webm').write_bytes(web_video.read_bytes())
    (videos / 'drink' / 'broken.webm').write_bytes(b'not a video')
    h, w = VideoFrames(str(web_video)).img_shape
    save_sign_annotation(
        str(tmp_path / 'sign_ann' / 'clip.npz'), np.zeros((FRAMES, 133, 2), np.float32),
        np.zeros((FRAMES, 133), np.float32), np.zeros((FRAMES, 4), np.float32),
        np.zeros((FRAMES, 7, 8, 8), np.uint8), (h, w))
    entry = dict(filename='drink/clip.webm', label=0, sign_ann='clip.npz',
                 total_frames=FRAMES, img_shape=[h, w])
    dump_annotation_list(str(tmp_path / 'lists' / 'train.json'), [entry], dict(classes=['drink']))
    dump_annotation_list(str(tmp_path / 'lists' / 'val.json'),
                         [entry, dict(entry, filename='drink/broken.webm')])
    return tmp_path


def test_frames_and_size_are_kept_and_the_annotations_still_fit(dataset_root, web_video):
    src = str(dataset_root / 'videos' / 'drink' / 'clip.webm')
    before = (dataset_root / 'lists' / 'train.json').read_text()
    done, failed, lists = reencode_annotation_lists(
        [str(dataset_root / 'lists' / 'train.json')], str(dataset_root / 'videos'),
        str(dataset_root / 'mp4v'), str(dataset_root / 'lists_mp4v'))
    assert not failed and len(done) == 1 and lists == [str(dataset_root / 'lists_mp4v' /
                                                           'train.json')]
    result = done[0]
    new = dataset_root / 'mp4v' / 'drink' / 'clip.mp4'
    assert result.dst == str(new) and new.is_file()
    assert result.num_frames == FRAMES and result.img_shape == VideoFrames(src).img_shape
    assert 30 < result.psnr < 60  # lossy, but close to the original frames
    original, written = VideoFrames(src).read(0, FRAMES), VideoFrames(str(new)).read(0, FRAMES)
    assert written.shape == original.shape
    assert not [p for p in new.parent.iterdir() if p.name.startswith('.tmp_')]
    assert (dataset_root / 'lists' / 'train.json').read_text() == before  # input untouched
    new_list = json.loads(Path(lists[0]).read_text())
    assert new_list['data_list'][0]['filename'] == 'drink/clip.mp4'
    assert new_list['metainfo']['classes'] == ['drink']
    assert new_list['metainfo']['reencoded'] == dict(fourcc='mp4v', min_psnr=30.0)
    # the dataset reads the new video with the old sign annotation (frame count and size)
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(dict(
            type='SignVideoDataset', ann_file=lists[0], pipeline=[
                dict(type='DecordInit'),
                dict(type='SampleSignFrames', clip_len=4, frame_interval=2, num_clips=1),
                dict(type='LoadSignAnnotation'), dict(type='DecordDecode')],
            data_prefix=dict(video=str(dataset_root / 'mp4v'),
                             sign_ann=str(dataset_root / 'sign_ann'))))
        sample = dataset[0]
    assert sample['total_frames'] == FRAMES and sample['sign_part_maps'].shape[0] == 4

    # a second run with skip_existing leaves the file alone
    stamp = new.stat().st_mtime_ns
    done, _, _ = reencode_annotation_lists(
        [str(dataset_root / 'lists' / 'train.json')], str(dataset_root / 'videos'),
        str(dataset_root / 'mp4v'), str(dataset_root / 'lists_mp4v'), skip_existing=True)
    assert done == [] and new.stat().st_mtime_ns == stamp


def test_a_psnr_floor_or_a_broken_video_fails_and_writes_nothing(dataset_root):
    src = dataset_root / 'videos' / 'drink' / 'clip.webm'
    dst = dataset_root / 'out' / 'clip.mp4'
    with pytest.raises(ReencodeError, match=r'clip.webm: the re-encoded frames are [0-9.]+ dB '
                       r'PSNR from the originals, below the floor of 99 dB'):
        reencode_video(str(src), str(dst), min_psnr=99)
    assert not dst.exists() and not list(dst.parent.iterdir())
    with pytest.raises(ReencodeError, match="cannot write 'mp4v' video to .webm"):
        reencode_video(str(src), str(dataset_root / 'out' / 'clip.webm'))
    with pytest.raises(ValueError, match='the new list would overwrite it'):
        reencode_annotation_lists([str(dataset_root / 'lists' / 'train.json')],
                                  str(dataset_root / 'videos'), str(dataset_root / 'mp4v'),
                                  str(dataset_root / 'lists'))


def test_the_tool_leaves_failed_videos_out_only_when_asked(dataset_root):
    def run(*extra):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        return subprocess.run(
            [sys.executable, str(REPO / 'tools' / 'reencode_videos.py'),
             str(dataset_root / 'lists' / 'val.json'), '--video-root',
             str(dataset_root / 'videos'), '--out-root', str(dataset_root / 'mp4v'),
             '--list-dir', str(dataset_root / 'lists_mp4v'), *extra],
            capture_output=True, text=True, env=env, timeout=300)

    proc = run()
    assert proc.returncode == 1 and 'broken.webm' in proc.stderr, proc.stderr
    assert 'no list written' in proc.stderr and not (dataset_root / 'lists_mp4v').exists()
    proc = run('--keep-going', '--skip-existing')
    assert proc.returncode == 1, proc.stderr
    assert 'left out of the new lists' in proc.stderr
    new_list = json.loads((dataset_root / 'lists_mp4v' / 'val.json').read_text())
    assert [e['filename'] for e in new_list['data_list']] == ['drink/clip.mp4']
    assert new_list['metainfo']['reencode_failed'] == 1
    failures = (dataset_root / 'lists_mp4v' / 'reencode_failures.txt').read_text()
    assert 'broken.webm' in failures and 'clip.webm' not in failures
