"""The preprocessing run end to end (what ``tools/preprocess.py`` does, through the package): real
RTMDet-tiny / RTMPose whole-body (random weights, built from the configs mmdet and mmpose ship),
real mp4 files, annotations that SignVideoDataset loads, resumability, the failure summary and the
fallbacks; the tool's own exits through its command line."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
from _toy_sapiens import save_toy_sapiens
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.preprocessing import (PreprocessRunner, VideoAnnotator, build_part_maps,
                                      build_pose_source, parse_shard, resolve_video_list)
from signmae_mm.structures import PART_GROUPS, load_annotation_list, load_sign_annotation
from signmae_mm.testing import moving_square_frames, write_video

# RTMDet / RTMPose with random weights: mmdet, mmpose and mmcv's compiled ops
pytestmark = pytest.mark.requires('full_stack')

REPO = Path(__file__).resolve().parents[2]
# (path, label, frames, (H, W)): widths decord reads correctly (see signmae_mm.testing)
VIDEOS = [('a/v0.mp4', 0, 8, (96, 128)), ('a/v1.mp4', 1, 6, (64, 64)),
          ('b/v2.mp4', 0, 5, (112, 112))]
BROKEN = 'broken.mp4'
GRID = 16


TOOL = REPO / 'tools' / 'preprocess.py'


def _write_videos(root: Path, with_broken: bool = True) -> Path:
    lines = []
    for i, (name, label, frames, size) in enumerate(VIDEOS):
        write_video(root / name, moving_square_frames(frames, size, square=20, seed=i))
        lines.append(f'{name} {label}')
    if with_broken:
        (root / BROKEN).write_bytes(np.random.default_rng(0).bytes(4096))  # not a video
        lines.append(f'{BROKEN} 1')
    lst = root / 'videos.txt'
    lst.write_text('\n'.join(lines) + '\n')
    return lst


def _run(lst: Path, root: Path, out: Path, models: dict, shard: str = '0/1',
         collect: bool = False, retry_failed: bool = False, det_score_thr: float = 0.3,
         no_person: str = 'skip', sapiens: Optional[str] = None,
         sapiens_input_size=(1024, 768)) -> dict:
    """A run as ``tools/preprocess.py`` makes it; the summary as written."""
    videos = resolve_video_list(str(lst), str(out), str(root))
    annotator = None
    if not collect:
        source = build_pose_source('mmpose', det_score_thr=det_score_thr, **models['source'])
        parts = build_part_maps('auto', sapiens, models['grid_size'],
                                sapiens_input_size=sapiens_input_size,
                                batch_size=models['batch_size'])
        annotator = VideoAnnotator(source, parts, batch_size=models['batch_size'],
                                   no_person=no_person)
    summary = PreprocessRunner(annotator, videos.video_root, str(out),
                               retry_failed=retry_failed).run(
                                   videos.items, parse_shard(shard), out_list=videos.out_list,
                                   metainfo=videos.metainfo, collect_only=collect)
    assert json.loads(Path(summary.pop('summary_path')).read_text()) == summary
    return summary


def _tool(*args, **kwargs) -> subprocess.CompletedProcess:
    """``tools/preprocess.py`` as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, str(TOOL)] + [str(a) for a in args], env=env,
                          capture_output=True, text=True, timeout=300, **kwargs)


def _stamps(out: Path) -> dict:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.rglob('*'))
            if p.suffix in ('.npz', ) or p.name.endswith('.meta.json')}


@pytest.fixture(scope='module')
def first_run(tmp_path_factory, model_options):
    root = tmp_path_factory.mktemp('videos')
    out = tmp_path_factory.mktemp('out')
    lst = _write_videos(root)
    summary = _run(lst, root, out, model_options)
    return dict(root=root, out=out, lst=lst, summary=summary)


def test_annotations_load_in_the_dataset(first_run):
    root, out, summary = first_run['root'], first_run['out'], first_run['summary']
    assert (summary['done'], summary['failed'], summary['pending']) == (3, 1, 0)
    assert summary['part_map_sources'] == {'keypoints': 3}
    assert summary['this_run']['frames'] == sum(v[2] for v in VIDEOS)
    assert set(summary['this_run']['fps']) >= {'decode', 'detect', 'pose', 'part_maps'}

    # the list: every decodable video, in input order, with the facts of its run
    metainfo, entries = load_annotation_list(str(out / 'videos.json'))
    assert metainfo['part_groups'] == list(PART_GROUPS)
    assert [e['filename'] for e in entries] == [v[0] for v in VIDEOS]
    for entry, (name, label, frames, size) in zip(entries, VIDEOS):
        assert entry['label'] == label and entry['sign_ann'] == name[:-4] + '.npz'
        assert entry['total_frames'] == frames and entry['img_shape'] == list(size)
        assert entry['part_map_source'] == 'keypoints'
        assert entry['person_source'] == 'detector'  # the person-biased RTMDet finds people
        ann = load_sign_annotation(str(out / entry['sign_ann']), total_frames=frames,
                                   img_shape=size)
        assert ann['keypoints'].shape == (frames, 133, 2)
        assert ann['keypoint_scores'].shape == (frames, 133)
        assert ann['person_bboxes'].shape == (frames, 4) and ann['person_bboxes'].any(1).all()
        assert ann['part_maps'].shape == (frames, len(PART_GROUPS), GRID, GRID)
        assert str(ann['part_map_source']) == 'keypoints'
        meta = json.loads((out / (name[:-4] + '.meta.json')).read_text())
        assert meta['status'] == 'done' and meta['person_frames_detected'] == frames
        assert meta['settings']['det_checkpoint'].endswith('.pth')

    # the dataset class of the annotation format reads the list and checks every video
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = DATASETS.build(dict(
            type='SignVideoDataset', ann_file=str(out / 'videos.json'),
            data_prefix=dict(video=str(root), sign_ann=str(out)), pipeline=[],
            check_videos=True))
    assert len(ds) == 3
    assert ds.get_data_info(0)['part_map_source'] == 'keypoints'


def test_corrupt_video_is_reported_and_skipped(first_run):
    out, summary = first_run['out'], first_run['summary']
    (failure, ) = summary['failures']
    assert failure['filename'] == BROKEN and failure['stage'] == 'decode'
    assert BROKEN in failure['error'] and 'cannot open the video' in failure['error']
    assert summary['this_run']['failures'] == summary['failures']
    meta = json.loads((out / 'broken.meta.json').read_text())
    assert meta['status'] == 'failed' and meta['stage'] == 'decode'
    assert not (out / 'broken.npz').exists()


def test_resume_skips_finished_and_redoes_partial_output(first_run, tmp_path, model_options):
    root, lst = first_run['root'], first_run['lst']
    out = tmp_path / 'out'
    shutil.copytree(first_run['out'], out)
    before = _stamps(out)

    # a second run does nothing: finished and failed videos are both final
    summary = _run(lst, root, out, model_options)
    assert summary['this_run']['processed'] == 0 and summary['this_run']['failed'] == 0
    assert _stamps(out) == before
    assert (summary['done'], summary['failed']) == (3, 1)

    # what a killed run leaves: a temporary file, an .npz whose .meta.json was never written,
    # an .npz cut short (its size no longer matches the meta)
    (out / 'a' / '.tmp_killed.npz').write_bytes(b'PK\x03\x04 partial')
    (out / 'a' / 'v1.meta.json').unlink()
    npz = out / 'b' / 'v2.npz'
    npz.write_bytes(npz.read_bytes()[:100])
    summary = _run(lst, root, out, model_options)
    assert summary['this_run']['processed'] == 2 and summary['this_run']['failed'] == 0
    after = _stamps(out)
    assert after['a/v0.npz'] == before['a/v0.npz']  # untouched
    assert after['a/v1.npz'] != before['a/v1.npz'] and after['b/v2.npz'] != before['b/v2.npz']
    load_sign_annotation(str(npz), total_frames=VIDEOS[2][2])
    _, entries = load_annotation_list(str(out / 'videos.json'))
    assert len(entries) == 3 and all('.tmp_' not in e['sign_ann'] for e in entries)

    # failures are retried only when asked
    summary = _run(lst, root, out, model_options, retry_failed=True)
    assert summary['this_run']['processed'] == 0 and summary['this_run']['failed'] == 1


def test_shards_split_the_work_and_the_list_waits_for_all(tmp_path, model_options):
    root = tmp_path / 'videos'
    lst = _write_videos(root, with_broken=False)
    out = tmp_path / 'out'
    shard = _run(lst, root, out, model_options, shard='1/2')
    assert json.loads((out / 'preprocess_summary_shard-1-of-2.json').read_text()) == shard
    assert shard['this_run']['processed'] == 1  # videos 1 of 0, 1, 2
    assert shard['pending'] == 2 and shard['annotation_list'] is None
    assert not (out / 'videos.json').exists()  # not while other shards are pending
    shard = _run(lst, root, out, model_options, shard='0/2')
    assert shard['this_run']['processed'] == 2 and shard['pending'] == 0
    assert shard['annotation_list']['entries'] == 3
    # --collect rebuilds the list from the finished videos without models
    (out / 'videos.json').unlink()
    _run(lst, root, out, model_options, collect=True)
    assert len(load_annotation_list(str(out / 'videos.json'))[1]) == 3


def test_no_person_is_skipped_or_whole_frame_fallback(tmp_path, model_options):
    root = tmp_path / 'videos'
    name, _, frames, (h, w) = VIDEOS[0]
    write_video(root / name, moving_square_frames(frames, (h, w)))
    lst = root / 'one.txt'
    lst.write_text(f'{name} 0\n')
    out = tmp_path / 'out'
    # no box can reach a threshold above 1: no person in any frame -> skipped, reported
    summary = _run(lst, root, out, model_options, det_score_thr=1.01)
    assert summary['this_run']['processed'] == 0 and summary['this_run']['failed'] == 1
    (failure, ) = summary['failures']
    assert failure['stage'] == 'detect' and 'no person found in any of its 8 frames' in \
        failure['error'] and name in failure['error']
    assert summary['annotation_list']['entries'] == 0

    summary = _run(lst, root, out, model_options, det_score_thr=1.01, no_person='whole-frame',
                   retry_failed=True)
    assert summary['this_run']['processed'] == 1 and summary['done'] == 1
    assert summary['person_fallbacks'][0]['person_source'] == 'whole_frame'
    (entry, ) = load_annotation_list(str(out / 'one.json'))[1]
    assert entry['person_source'] == 'whole_frame'
    ann = load_sign_annotation(str(out / entry['sign_ann']))
    np.testing.assert_array_equal(ann['person_bboxes'], np.tile([0, 0, w, h], (frames, 1)))
    meta = json.loads((out / 'a' / 'v0.meta.json').read_text())
    assert meta['person_source'] == 'whole_frame' and meta['person_frames_detected'] == 0


def test_sapiens_part_maps_from_a_torchscript_file(tmp_path, model_options):
    root = tmp_path / 'videos'
    name, _, frames, size = VIDEOS[1]
    write_video(root / name, moving_square_frames(frames, size))
    lst = root / 'one.txt'
    lst.write_text(f'{name} 0\n')
    model = save_toy_sapiens(tmp_path / 'toy_sapiens.pt')
    out = tmp_path / 'out'
    summary = _run(lst, root, out, model_options, sapiens=str(model),
                   sapiens_input_size=(64, 48))
    assert summary['done'] == 1 and summary['part_map_sources'] == {'sapiens': 1}
    (entry, ) = load_annotation_list(str(out / 'one.json'))[1]
    assert entry['part_map_source'] == 'sapiens'
    ann = load_sign_annotation(str(out / entry['sign_ann']), total_frames=frames)
    assert str(ann['part_map_source']) == 'sapiens'
    assert ann['part_maps'].shape == (frames, len(PART_GROUPS), GRID, GRID)
    meta = json.loads((out / 'a' / 'v1.meta.json').read_text())
    assert meta['settings']['sapiens'] == str(model)


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.txt does not exist'):
        resolve_video_list(str(tmp_path / 'nope.txt'), str(tmp_path))
    with pytest.raises(ValueError, match='shards are 0-based'):
        parse_shard('2/2')
    lst = tmp_path / 'l.txt'
    lst.write_text('v.mp4 0\n')
    with pytest.raises(ValueError, match='would overwrite the input list'):
        resolve_video_list(str(lst), str(tmp_path), out_list=str(lst))
    # the tool: exit status 2 and the reason on bad arguments, before any model is built
    proc = _tool(lst, '--out-dir', tmp_path, '--shard', '2/2')
    assert proc.returncode == 2 and 'shards are 0-based' in proc.stderr, proc.stderr[-2000:]
    # no checkpoint and no --random-weights: refused, naming the zoo weights of the config
    proc = _tool(lst, '--out-dir', tmp_path / 'o', '--det-config', 'rtmdet_tiny_8xb32-300e_coco')
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert re.search(r'--det-checkpoint is required.*rtmdet_tiny', proc.stderr)


def test_a_killed_run_is_finished_by_the_next(tmp_path, model_options):
    """SIGKILL a real run once its first video is finished; the next run completes the rest
    and never takes the killed video's partial output for finished."""
    import time

    from signmae_mm.preprocessing import read_video_state
    root = tmp_path / 'videos'
    names = [f'k{i}.mp4' for i in range(3)]
    for i, name in enumerate(names):
        write_video(root / name, moving_square_frames(8, (64, 64), seed=i))
    lst = root / 'kill.txt'
    lst.write_text(''.join(f'{n} 0\n' for n in names))
    out = tmp_path / 'out'
    cmd = [sys.executable, str(REPO / 'tools' / 'preprocess.py'), str(lst), '--video-root',
           str(root), '--out-dir', str(out)] + model_options['argv'] + ['--batch-size', '2']
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (out / 'k0.meta.json').exists():
            assert proc.poll() is None, 'the run ended before it could be killed'
            assert time.monotonic() < deadline, 'the first video took too long'
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    states = {n: read_video_state(str(out), n[:-4] + '.npz')[0] for n in names}
    assert states['k0.mp4'] == 'done'
    first = (out / 'k0.npz').stat().st_mtime_ns
    unfinished = sum(s != 'done' for s in states.values())
    assert unfinished >= 1  # killed while the rest was in progress
    summary = _run(lst, root, out, model_options)
    assert summary['this_run']['processed'] == unfinished
    assert summary['done'] == 3 and (out / 'k0.npz').stat().st_mtime_ns == first
    for name in names:
        load_sign_annotation(str(out / (name[:-4] + '.npz')), total_frames=8)
