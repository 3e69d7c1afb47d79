"""Embeddings: the model's own pooled features through its test pipeline, the three kinds of
checkpoint, the safe feature file, bad videos named or skipped, and tools/extract_features.py."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.apis import inference_recognizer
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from signmae_mm.apis import (FormatError, SignFeatures, embed_videos, extract_features,
                             init_sign_encoder, init_sign_recognizer)
from signmae_mm.apis.encoder import file_sha256

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / 'configs' / 'demo' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
PRETRAIN = REPO / 'configs' / 'demo' / 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py'


def _two_clip_config() -> Config:
    """The demo finetuning config tested on 2 clips per video (so views are averaged)."""
    cfg = Config.fromfile(str(FINETUNE))
    pipeline = [dict(t, num_clips=2) if t['type'] == 'SampleSignFrames' else t
                for t in cfg.test_pipeline]
    cfg.test_pipeline = pipeline
    cfg.test_dataloader.dataset.pipeline = pipeline
    return cfg


def test_embedding_is_the_models_pooled_feature_through_its_test_pipeline(
        clip_pieces, recognizer_checkpoint):
    cfg = _two_clip_config()
    video = str(clip_pieces['drink'][0])
    features = extract_features(cfg, str(recognizer_checkpoint), [video], progress=False)
    assert features.features.shape == (1, 128) and features.features.dtype == np.float32
    assert features.names == [video] and features.labels.tolist() == [-1]

    # mmaction2's own inference of the same checkpoint: what its head receives, per view
    model = init_sign_recognizer(cfg, str(recognizer_checkpoint))
    seen = []
    model.cls_head.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    inference_recognizer(model, video, Compose(cfg.test_pipeline))
    assert seen[0].shape == (2, 128)  # 2 clips x 1 crop
    np.testing.assert_allclose(features.features[0], seen[0].mean(0).numpy(), rtol=1e-5,
                               atol=1e-5)
    # one clip instead of two gives another embedding: the pipeline is the config's
    one = extract_features(str(FINETUNE), str(recognizer_checkpoint), [video], progress=False)
    assert not np.allclose(one.features, features.features)


def test_recognizer_pretraining_and_random_encoders(recognizer_checkpoint, tmp_path):
    saved = torch.load(recognizer_checkpoint, weights_only=True)['state_dict']
    model = init_sign_encoder(str(FINETUNE), str(recognizer_checkpoint))
    identity = model.encoder_identity
    assert identity['checkpoint_kind'] == 'recognizer'
    assert identity['checkpoint'] == 'finetuned.pth'
    assert identity['checkpoint_sha256'] == file_sha256(str(recognizer_checkpoint))
    assert identity['config'] == FINETUNE.name
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, saved[f'backbone.{key}']), key
    again = init_sign_encoder(str(FINETUNE), str(recognizer_checkpoint)).encoder_identity
    assert again['weights_sha256'] == identity['weights_sha256']

    # a pretraining checkpoint: every encoder weight but the fresh fc_norm from its backbone.
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    torch.manual_seed(1)
    pretraining = MODELS.build(Config.fromfile(str(PRETRAIN)).model)
    save_checkpoint(dict(meta=dict(), state_dict=pretraining.state_dict()),
                    str(tmp_path / 'pretrain.pth'))
    model = init_sign_encoder(str(FINETUNE), str(tmp_path / 'pretrain.pth'))
    assert model.encoder_identity['checkpoint_kind'] == 'pretraining'
    theirs = pretraining.backbone.state_dict()
    own = model.backbone.state_dict()
    assert {k for k in own if k not in theirs} == {'fc_norm.weight', 'fc_norm.bias'}
    for key in theirs.keys() & own.keys():
        assert torch.equal(own[key], theirs[key]), key

    random = init_sign_encoder(str(FINETUNE), None).encoder_identity
    assert (random['checkpoint'], random['checkpoint_sha256'], random['checkpoint_kind']) == (
        'random', None, 'random')
    assert len({random['weights_sha256'], identity['weights_sha256'],
                model.encoder_identity['weights_sha256']}) == 3
    with pytest.raises(ValueError, match='without a backbone'):
        init_sign_encoder(Config(dict(model=dict(type='MultiStreamRecognizer'))))


def test_feature_file_round_trip_without_pickle(clip_pieces, recognizer_checkpoint, tmp_path):
    model = init_sign_encoder(str(FINETUNE), str(recognizer_checkpoint))
    videos = [str(p) for p in clip_pieces['drink'][:2] + clip_pieces['two_people'][:1]]
    features = embed_videos(model, videos, [0, 0, 1], names=['a.mp4', 'b.mp4', 'c.mp4'],
                            classes=['drink', 'two_people'], batch_size=2, progress=False)
    assert features.encoder['embed_dim'] == features.embed_dim == 128
    # batched as 2 + 1: the same rows as one at a time
    single = embed_videos(model, videos[2:], progress=False)
    np.testing.assert_allclose(features.features[2], single.features[0], rtol=1e-5, atol=1e-6)

    path = tmp_path / 'features.npz'
    assert features.save(path) == str(path)
    loaded = SignFeatures.load(path)
    np.testing.assert_array_equal(loaded.features, features.features)
    assert loaded.names == ['a.mp4', 'b.mp4', 'c.mp4'] and loaded.labels.dtype == np.int64
    assert loaded.labels.tolist() == [0, 0, 1] and loaded.classes == ['drink', 'two_people']
    assert loaded.encoder == features.encoder and loaded.skipped == {}
    with np.load(path, allow_pickle=False) as raw:
        assert raw['names'].dtype.kind == 'U' and raw['features'].shape == (3, 128)
        assert json.loads(str(raw['encoder']))['checkpoint'] == 'finetuned.pth'
        assert str(raw['format']) == 'signmae_mm.sign_features'
    assert not list(tmp_path.glob('.tmp_*'))  # written through a temporary file, renamed

    text = tmp_path / 'notes.npz'
    text.write_text('not an archive\n')
    with pytest.raises(FormatError, match='notes.npz is not a sign feature file: it is a text'):
        SignFeatures.load(text)
    np.savez(tmp_path / 'other.npz', format=np.asarray('something_else'))
    with pytest.raises(FormatError, match=r'is not a sign feature file: it is a \.npz of '
                       r'another kind \(something_else\)'):
        SignFeatures.load(tmp_path / 'other.npz')


def test_a_bad_video_is_named_or_skipped_and_recorded(clip_pieces, recognizer_checkpoint,
                                                       tmp_path):
    model = init_sign_encoder(str(FINETUNE), str(recognizer_checkpoint))
    bad = tmp_path / 'notes.mp4'
    bad.write_text('not a video\n')
    good = str(clip_pieces['drink'][0])
    with pytest.raises(ValueError, match='notes.mp4 is not a decodable video: it is a text'):
        embed_videos(model, [good, str(bad)], progress=False)
    features = embed_videos(model, [good, str(bad)], [0, 1], progress=False, skip_bad=True)
    assert features.names == [good] and features.labels.tolist() == [0]
    assert list(features.skipped) == [str(bad)] and 'text file' in features.skipped[str(bad)]
    features.save(tmp_path / 'partial.npz')
    assert SignFeatures.load(tmp_path / 'partial.npz').skipped == features.skipped
    with pytest.raises(ValueError, match='none of the 1 videos could be read'):
        embed_videos(model, [str(bad)], progress=False, skip_bad=True)


def _tool():
    spec = importlib.util.spec_from_file_location('extract_features',
                                                  REPO / 'tools' / 'extract_features.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_reads_a_list_and_fails_closed(clip_pieces, recognizer_checkpoint, tmp_path,
                                            capsys):
    root = clip_pieces['drink'][0].parents[1]
    names = ['drink/piece0.mp4', 'two_people/piece0.mp4']
    ann = tmp_path / 'list.json'
    ann.write_text(json.dumps(dict(metainfo=dict(classes=['drink', 'two_people']),
                                   data_list=[dict(filename=n, label=i)
                                              for i, n in enumerate(names)])))
    tool = _tool()
    out = tmp_path / 'features.npz'
    argv = [str(FINETUNE), str(recognizer_checkpoint)]
    assert tool.main(argv + [str(ann), '--video-root', str(root), '--out', str(out),
                             '--no-progress']) == 0
    assert '2 embeddings (128-d' in capsys.readouterr().out
    saved = SignFeatures.load(out)
    assert saved.names == names and saved.labels.tolist() == [0, 1]
    assert saved.classes == ['drink', 'two_people']

    # a text list ("path label") and plain video files (label -1)
    (tmp_path / 'list.txt').write_text(''.join(f'{n} {i}\n' for i, n in enumerate(names)))
    assert tool.main(argv + [str(tmp_path / 'list.txt'), '--video-root', str(root), '--out',
                             str(out), '--no-progress']) == 0
    assert SignFeatures.load(out).labels.tolist() == [0, 1]
    bad = tmp_path / 'notes.mp4'
    bad.write_text('not a video\n')
    videos = [str(root / names[0]), str(bad)]
    out.unlink()
    assert tool.main(argv + videos + ['--out', str(out), '--no-progress']) == 1
    assert 'notes.mp4 is not a decodable video' in capsys.readouterr().err and not out.exists()
    assert tool.main(argv + videos + ['--out', str(out), '--no-progress', '--skip-bad']) == 0
    captured = capsys.readouterr()
    assert f'skipped {bad}' in captured.err and '1 videos skipped' in captured.out
    assert SignFeatures.load(out).labels.tolist() == [-1]
    # the checkpoint is checked before any video
    assert tool.main([str(FINETUNE), videos[0], str(ann), '--out', str(out)]) == 2
    assert 'is not a PyTorch checkpoint' in capsys.readouterr().err
