"""signmae_mm.apis and tools/recognize.py on a real config (the demo's finetuning recognizer,
random weights saved as a checkpoint) and real generated videos."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.apis import inference_recognizer
from mmengine.config import Config
from mmengine.dataset import Compose

from signmae_mm.apis import (class_names, inference_sign_recognizer, init_sign_recognizer,
                             needs_sign_annotation)
from signmae_mm.demo import write_demo_dataset

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / 'configs' / 'demo' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
HEATMAP = REPO / 'configs' / 'heatmap' / 'heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
NAMES = [f'sign_{k}' for k in range(10)]


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    return write_demo_dataset(str(tmp_path_factory.mktemp('demo')), num_classes=2,
                              videos_per_class=3, num_frames=16, size=64, seed=3)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """The demo finetuning recognizer with random weights, saved as mmengine saves it."""
    torch.manual_seed(0)
    model = init_sign_recognizer(str(FINETUNE))
    path = tmp_path_factory.mktemp('ckpt') / 'finetuned.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=NAMES))), path)
    return path


def _video(demo, k=0) -> str:
    with open(demo.ann_files['test']) as f:
        entry = json.load(f)['data_list'][k]
    return str(Path(demo.video_prefix) / entry['filename'])


def test_scores_equal_mmaction2s_inference_recognizer(demo, checkpoint):
    model = init_sign_recognizer(str(FINETUNE), str(checkpoint))
    assert not needs_sign_annotation(model)
    assert model.dataset_meta['classes'] == NAMES
    video = _video(demo)
    result = inference_sign_recognizer(model, video)
    assert list(result.scores) == ['prediction'] and result.sign_ann is None
    scores = result.scores['prediction']
    assert scores.shape == (10, ) and scores.sum() == pytest.approx(1, abs=1e-5)
    stock = inference_recognizer(model, video, Compose(model.cfg.test_pipeline))
    np.testing.assert_allclose(scores, stock.pred_score.numpy(), rtol=1e-5, atol=1e-6)
    top = result.top_k(5)
    assert [score for _, _, score in top] == sorted(scores, reverse=True)[:5]
    assert all(name == NAMES[label] for label, name, _ in top)


def test_a_checkpoint_that_does_not_fit_is_an_error(checkpoint, tmp_path):
    ckpt = torch.load(checkpoint, weights_only=True)
    del ckpt['state_dict']['cls_head.fc_cls.weight']
    torch.save(ckpt, tmp_path / 'partial.pth')
    with pytest.raises(RuntimeError, match='cls_head.fc_cls.weight'):
        init_sign_recognizer(str(FINETUNE), str(tmp_path / 'partial.pth'))
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        init_sign_recognizer(str(FINETUNE), str(tmp_path / 'nowhere.pth'))


def test_class_names_come_from_the_file_the_checkpoint_or_the_test_list(demo, checkpoint,
                                                                         tmp_path):
    model = init_sign_recognizer(str(FINETUNE), str(checkpoint))
    assert class_names(model) == NAMES
    names = tmp_path / 'classes.txt'
    names.write_text(''.join(f'word{k}\n' for k in range(10)))
    assert class_names(model, str(names))[3] == 'word3'
    names.write_text('only\ntwo\n')
    with pytest.raises(ValueError, match='2 class names for a model of 10'):
        class_names(model, str(names))
    cfg = Config.fromfile(str(FINETUNE))
    cfg.test_dataloader.dataset.ann_file = demo.ann_files['test']
    bare = init_sign_recognizer(cfg)  # no checkpoint: the test list's 2 names, then numbers
    assert class_names(bare) == list(demo.classes) + [str(k) for k in range(2, 10)]


def test_heatmap_stream_needs_the_sign_annotation(tmp_path):
    cfg = Config.fromfile(str(HEATMAP))
    model = init_sign_recognizer(cfg)
    assert needs_sign_annotation(model)
    with pytest.raises(FileNotFoundError, match='no_such.npz'):
        inference_sign_recognizer(model, str(REPO / 'tests' / 'data' /
                                             'ntu_drink_s001c001p001r001a001.mp4'),
                                  sign_ann=str(tmp_path / 'no_such.npz'))


def _tool():
    spec = importlib.util.spec_from_file_location('recognize', REPO / 'tools' / 'recognize.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_prints_the_top_5_and_fails_closed(demo, checkpoint, tmp_path, capsys):
    tool = _tool()
    out = tmp_path / 'result.json'
    videos = [_video(demo, 0), _video(demo, 1)]
    assert tool.main([str(FINETUNE), str(checkpoint), *videos, '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count('  prediction:') == 2 and '5. sign_' in printed
    saved = json.loads(out.read_text())
    assert [r['video'] for r in saved] == videos
    assert len(saved[0]['top_k']['prediction']) == 5

    # a missing video fails that video only; a bad checkpoint stops before any video
    assert tool.main([str(FINETUNE), str(checkpoint), str(tmp_path / 'gone.mp4'), videos[0]]) == 1
    captured = capsys.readouterr()
    assert 'gone.mp4: FAILED' in captured.err and videos[0] in captured.out
    assert tool.main([str(FINETUNE), str(tmp_path / 'none.pth'), videos[0]]) == 2
    assert 'none.pth not found' in capsys.readouterr().err


def test_files_that_are_not_what_they_should_be_are_named(demo, checkpoint, tmp_path, capsys):
    from signmae_mm.apis import check_checkpoint_file, check_video_file, describe_file
    video = _video(demo, 0)
    text = tmp_path / 'notes.mp4'
    text.write_text('not a video\n')
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    npz = tmp_path / 'arrays.pth'
    np.savez(npz.with_suffix(''), a=np.zeros(3))
    npz.with_suffix('.npz').rename(npz)
    assert describe_file(video) == 'an MP4 / MOV video'
    assert describe_file(str(checkpoint)) == 'a PyTorch checkpoint'
    assert [describe_file(str(p)) for p in (text, empty, npz)] == [
        'a text file', 'an empty file', 'a NumPy .npz archive']
    check_checkpoint_file(str(checkpoint))
    check_video_file(video)
    with pytest.raises(ValueError, match=f'checkpoint {video} is not a PyTorch checkpoint: it is '
                       'an MP4 / MOV video .the checkpoint comes before the videos.'):
        check_checkpoint_file(video)
    with pytest.raises(ValueError, match='arrays.pth is not a PyTorch checkpoint: it is a NumPy'):
        check_checkpoint_file(str(npz))
    with pytest.raises(ValueError, match='notes.mp4 is not a decodable video: it is a text file'):
        check_video_file(str(text))
    # a damaged video (an MP4 header, then nothing the decoder can read): the decoder's words
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(Path(video).read_bytes()[:48])
    with pytest.raises(ValueError, match='broken.mp4 is not a decodable video .an MP4'):
        check_video_file(str(broken))

    # the tool: a video where the checkpoint goes stops before any video, in one line
    tool = _tool()
    assert tool.main([str(FINETUNE), video, video]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f'error: checkpoint {video} is not a PyTorch checkpoint: it is an '
                           'MP4 / MOV video (the checkpoint comes before the videos)')
    # a text file named .mp4 is named as such, the other videos are still answered
    assert tool.main([str(FINETUNE), str(checkpoint), str(text), video]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == (f'{text}: FAILED: video {text} is not a decodable video: '
                                    'it is a text file')
    assert video in captured.out and '1. sign_' in captured.out
