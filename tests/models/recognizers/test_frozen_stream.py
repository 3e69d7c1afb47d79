"""FrozenStream: one trained recognizer from its checkpoint (tiny, made from our stream
configs), run frozen, scoring as its own test does."""
import pytest
import torch
from _tiny_streams import (FRAMES, HEATMAP_CONFIG, RGB_SIZE, TINY_HEATMAP, TINY_VIDEO,
                           VIDEO_CONFIG, make_stream_checkpoint)
from mmaction.structures import ActionDataSample
from mmengine.model import BaseModule

from signmae_mm.models import FrozenStream, StreamCheckpointError, resolve_checkpoint


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp('video') / 'best_acc_top1_epoch_1.pth'
    cfg, model = make_stream_checkpoint(VIDEO_CONFIG, TINY_VIDEO, path, seed=0)
    return path, cfg, model


def _clips(num=2, clips=2):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (num, clips, 3, FRAMES, RGB_SIZE, RGB_SIZE), generator=g,
                         dtype=torch.uint8)


def test_a_stream_scores_as_its_own_test(video):
    path, _, model = video
    stream = FrozenStream(str(path), name='rgb')  # the architecture from meta.cfg
    raw = _clips()
    data = model.data_preprocessor(dict(inputs=list(raw), data_samples=[
        ActionDataSample() for _ in range(2)]), False)
    with torch.no_grad():
        own = torch.stack([o.pred_score for o in model(**data, mode='predict')])
    out = stream(stream.data_preprocessor(dict(inputs=list(raw), data_samples=None), False)[
        'inputs'])
    torch.testing.assert_close(out['score'], own)
    assert out['feat'].shape == (2, stream.feat_channels) and stream.feat_channels == 64
    assert stream.num_classes == own.shape[1]


def test_a_stream_is_frozen_and_keeps_the_recognizers_keys(video):
    path, _, model = video
    stream = FrozenStream(str(path.parent / 'best_*.pth'))  # a glob matching one file
    assert stream.checkpoint == str(path)
    assert list(stream.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(stream.state_dict()[key], value), key
    assert not any(p.requires_grad for p in stream.parameters())
    outer = BaseModule()
    outer.stream = stream
    outer.train()
    outer.init_weights()  # mmengine's init of the model around: the weights stay loaded
    assert not any(m.training for m in stream.modules())
    for key, value in model.state_dict().items():
        assert torch.equal(stream.state_dict()[key], value), key


def test_the_architecture_can_be_given_when_the_checkpoint_has_none(video, tmp_path):
    path, cfg, model = video
    bare = tmp_path / 'bare.pth'
    torch.save(dict(state_dict=model.state_dict()), bare)
    with pytest.raises(ValueError, match='stores no config'):
        FrozenStream(str(bare), name='rgb')
    stream = FrozenStream(str(bare), model=cfg.model.to_dict(), name='rgb')
    assert list(stream.state_dict()) == list(model.state_dict())


def test_a_checkpoint_that_does_not_fit_names_the_file_and_keys(video, tmp_path):
    path, cfg, _ = video
    heatmap = tmp_path / 'heatmap.pth'
    make_stream_checkpoint(HEATMAP_CONFIG, TINY_HEATMAP, heatmap, seed=2)
    with pytest.raises(StreamCheckpointError,
                       match=f"stream 'rgb': checkpoint {heatmap} does not fit.*missing keys"):
        FrozenStream(str(heatmap), model=cfg.model.to_dict(), name='rgb')


def test_resolve_checkpoint(video, tmp_path):
    path = video[0]
    assert resolve_checkpoint('rgb', str(path)) == str(path)
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        (tmp_path / name).write_bytes(b'')
    with pytest.raises(StreamCheckpointError, match='matches 2 files'):
        resolve_checkpoint('rgb', str(tmp_path / 'epoch_*.pth'))
    with pytest.raises(FileNotFoundError, match='best_3.pth'):
        resolve_checkpoint('rgb', str(tmp_path / 'best_3.pth'))
    with pytest.raises(StreamCheckpointError, match='no checkpoint given'):
        resolve_checkpoint('rgb', None)
