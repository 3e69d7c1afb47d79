"""MultiStreamRecognizer over real (tiny) stream checkpoints made from our stream configs."""
import logging
import re
from pathlib import Path

import pytest
import torch
from _tiny_streams import (FRAMES, HEATMAP_SIZE, NUM_CLASSES, RGB_SIZE, fusion_model_cfg,
                           make_three_streams)
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

from signmae_mm.apis import init_sign_recognizer
from signmae_mm.evaluation import save_fusion_checkpoint
from signmae_mm.models import MultiStreamRecognizer, StreamCheckpointError

WEIGHTS = dict(rgb_handarm=1.0, rgb_tube=2.0, heatmap=0.5)


@pytest.fixture(scope='module')
def streams(tmp_path_factory):
    return make_three_streams(tmp_path_factory.mktemp('streams'))


def _build(cfg: dict) -> MultiStreamRecognizer:
    init_default_scope('mmaction')
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(num: int = 3, clips: int = 2, seed: int = 0) -> dict:
    """A collated batch as the fusion pipeline + mmengine's pseudo_collate give it."""
    g = torch.Generator().manual_seed(seed)
    imgs = [torch.randint(0, 256, (clips, 3, FRAMES, RGB_SIZE, RGB_SIZE), generator=g,
                          dtype=torch.uint8) for _ in range(num)]
    heat = [torch.rand((clips, 63, FRAMES, HEATMAP_SIZE, HEATMAP_SIZE), generator=g)
            for _ in range(num)]
    samples = [ActionDataSample().set_gt_label(i % NUM_CLASSES) for i in range(num)]
    return dict(inputs=dict(imgs=imgs, heatmap_imgs=heat), data_samples=samples)


def _stream_scores(model, inputs, samples):
    """A stream on its own, as its own test would run it (its own data preprocessor)."""
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=[
        ActionDataSample().set_gt_label(s.gt_label) for s in samples]), False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    return torch.stack([o.pred_score for o in out])


def test_late_fusion_is_the_weighted_average_of_the_streams_own_predictions(streams):
    model = _build(fusion_model_cfg(streams, weights=WEIGHTS))
    batch = _batch()
    fused = torch.stack([o.pred_score for o in model.test_step(batch)])
    total = sum(WEIGHTS.values())
    expected = sum(
        WEIGHTS[name] / total * _stream_scores(
            stream, batch['inputs']['heatmap_imgs' if name == 'heatmap' else 'imgs'],
            batch['data_samples']) for name, (_, stream) in streams.items())
    assert fused.shape == (3, NUM_CLASSES)
    torch.testing.assert_close(fused, expected, atol=1e-6, rtol=1e-5)
    # the streams really differ, so the weights matter
    equal = _build(fusion_model_cfg(streams, weights=None))
    assert not torch.allclose(torch.stack([o.pred_score for o in equal.test_step(batch)]), fused)
    assert model.fusion_head.fusion_weights == pytest.approx(
        {k: v / total for k, v in WEIGHTS.items()})


def test_streams_are_loaded_from_their_checkpoints_and_frozen(streams):
    model = _build(fusion_model_cfg(streams))
    for name, (path, stream) in streams.items():
        ours = model.streams[name].state_dict()
        for key, value in stream.state_dict().items():
            assert torch.equal(ours[key], value), (name, key)
        assert model.stream_checkpoints[name] == str(path)
    assert not any(p.requires_grad for p in model.streams.parameters())
    model.train()
    assert model.fusion_head.training
    assert not any(m.training for stream in model.streams.values() for m in stream.modules())


def test_learned_head_trains_on_frozen_streams_and_saves_only_itself(streams, tmp_path):
    cfg = fusion_model_cfg(streams)
    cfg['fusion_head'] = dict(type='StreamFusionHead', mode='learned', dropout_ratio=0.)
    model = _build(cfg)
    assert model.fusion_head.stream_channels == [64, 64, 64]
    frozen = {k: v.clone() for k, v in model.streams.state_dict().items()}
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=0.1))
    batch = _batch(num=4, clips=1, seed=1)
    losses = [float(model.train_step(batch, optim)['loss_cls']) for _ in range(8)]
    assert losses[-1] < 0.5 * losses[0], losses
    for key, value in model.streams.state_dict().items():
        assert torch.equal(value, frozen[key]), key  # BN statistics included
    # its state dict (and checkpoints) hold the head only; loading keeps the streams' own
    state = model.state_dict()
    assert state and all(k.startswith('fusion_head.') for k in state)
    torch.save(dict(state_dict=state, meta=dict()), tmp_path / 'head.pth')
    fresh = _build(cfg)
    logger = MMLogger.get_instance('fusion_test', log_level='INFO')
    with _capture(logger) as records:
        load_checkpoint(fresh, str(tmp_path / 'head.pth'), strict=True, logger=logger)
    assert not any('missing' in r for r in records), records
    model.eval()
    fresh.eval()
    test = _batch(num=2, seed=2)
    a = torch.stack([o.pred_score for o in model.test_step(test)])
    b = torch.stack([o.pred_score for o in fresh.test_step(test)])
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a.sum(1), torch.ones(2))  # softmax probabilities


class _capture:
    """Collect the messages of an mmengine logger."""

    def __init__(self, logger):
        self.logger, self.records = logger, []
        self.handler = logging.Handler()
        self.handler.emit = lambda record: self.records.append(record.getMessage())

    def __enter__(self):
        self.logger.addHandler(self.handler)
        return self.records

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)


def test_score_fusion_checkpoint_sets_the_late_weights(streams, tmp_path):
    path = save_fusion_checkpoint(str(tmp_path / 'late.pth'),
                                  ['rgb_handarm', 'rgb_tube', 'heatmap'], [0.2, 0.3, 0.5])
    model = _build(fusion_model_cfg(streams))
    assert model.fusion_head.fusion_weights == pytest.approx(
        dict(rgb_handarm=1 / 3, rgb_tube=1 / 3, heatmap=1 / 3))
    load_checkpoint(model, path, strict=True)  # no stream key is reported missing
    assert model.fusion_head.fusion_weights == pytest.approx(
        dict(rgb_handarm=0.2, rgb_tube=0.3, heatmap=0.5))
    # the stream weights are still those of their checkpoints
    for name, (_, stream) in streams.items():
        key = next(iter(stream.state_dict()))
        assert torch.equal(model.streams[name].state_dict()[key], stream.state_dict()[key])


def test_missing_stream_checkpoints_fail_naming_every_file(streams, tmp_path):
    cfg = fusion_model_cfg(streams)
    cfg['streams']['rgb_tube']['checkpoint'] = str(tmp_path / 'nope' / 'epoch_3.pth')
    cfg['streams']['heatmap']['checkpoint'] = str(tmp_path / 'heat' / 'best_*.pth')
    with pytest.raises(StreamCheckpointError) as err:
        _build(cfg)
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert '2 of 3 stream checkpoints' in message
    assert "stream 'rgb_tube'" in message and str(tmp_path / 'nope' / 'epoch_3.pth') in message
    assert "stream 'heatmap'" in message and str(tmp_path / 'heat' / 'best_*.pth') in message
    assert 'rgb_handarm' not in message


def test_ambiguous_or_mismatched_checkpoints_fail_clearly(streams, tmp_path):
    cfg = fusion_model_cfg(streams)
    folder = streams['rgb_tube'][0].parent
    (folder / 'best_acc_top1_epoch_2.pth').write_bytes(streams['rgb_tube'][0].read_bytes())
    cfg['streams']['rgb_tube']['checkpoint'] = str(folder / 'best_*.pth')
    try:
        with pytest.raises(StreamCheckpointError, match='matches 2 files'):
            _build(cfg)
    finally:
        (folder / 'best_acc_top1_epoch_2.pth').unlink()
    # the heatmap checkpoint for a video stream: the error names the file and the keys
    cfg = fusion_model_cfg(streams)
    cfg['streams']['rgb_tube']['checkpoint'] = str(streams['heatmap'][0])
    cfg['streams']['rgb_tube']['model'] = _video_model_cfg(streams)
    with pytest.raises(StreamCheckpointError,
                       match=f"stream 'rgb_tube': checkpoint {streams['heatmap'][0]} does not "
                       'fit.*missing keys'):
        _build(cfg)


def _video_model_cfg(streams) -> dict:
    ckpt = torch.load(streams['rgb_tube'][0], weights_only=True)
    return Config.fromstring(ckpt['meta']['cfg'], '.py').model.to_dict()


def test_normalisation_and_inputs_must_match_the_streams(streams):
    cfg = fusion_model_cfg(streams)
    cfg['data_preprocessor']['preprocessors']['imgs'] = dict(
        type='ActionDataPreprocessor', format_shape='NCTHW')
    with pytest.raises(ValueError, match="stream 'rgb_handarm' was trained on inputs normalised"):
        _build(cfg)
    cfg = fusion_model_cfg(streams)
    cfg['streams']['heatmap']['input_key'] = 'keypoints'
    with pytest.raises(ValueError, match="reads 'keypoints'"):
        _build(cfg)
    cfg = fusion_model_cfg(streams)
    cfg['fusion_head']['num_classes'] = NUM_CLASSES + 1
    with pytest.raises(ValueError, match='num_classes'):
        _build(cfg)


LEGACY = Path(__file__).resolve().parents[2] / 'data' / 'legacy' / 'fusion'


@pytest.mark.parametrize('kind', ['late', 'learned'])
def test_fusion_checkpoints_written_before_load_strictly_and_score_the_same(kind):
    """Checkpoints of the StreamFusionHead era (config text with ``type='StreamFusionHead'``
    and ``mode``, stream checkpoints by path) build, load strictly and give the same scores."""
    path = LEGACY / f'{kind}_fusion.pth'
    cfg = Config.fromstring(torch.load(path, weights_only=True)['meta']['cfg'], '.py')
    assert cfg.model.fusion_head.type == 'StreamFusionHead'
    expected = torch.load(LEGACY / 'expected_scores.pth', weights_only=True)
    # the streams in the order of the config file they were trained with: mmengine's
    # pretty_text, the stored config, sorts dict keys (the learned head is positional)
    order = [name for name in expected[kind] if name != 'fused']
    assert sorted(order) == sorted(cfg.model.streams) and order != list(cfg.model.streams)
    cfg.model.streams = {
        name: dict(cfg.model.streams[name], checkpoint=str(LEGACY / 'streams' / f'{name}.pth'))
        for name in order}
    model = init_sign_recognizer(cfg, str(path))  # strict: a missing or extra key fails
    assert model.dataset_meta['classes'] == ('book', 'drink', 'computer')
    batch = dict(inputs=dict(imgs=list(expected['imgs']),
                             heatmap_imgs=list(expected['heatmap_imgs'].float() / 255)),
                 data_samples=[ActionDataSample() for _ in range(2)])
    fused = torch.stack([o.pred_score for o in model.test_step(batch)])
    torch.testing.assert_close(fused, expected[kind]['fused'], atol=1e-6, rtol=1e-5)
    with torch.no_grad():  # each stream's and the fused scores from one pass, as inference
        data = model.data_preprocessor(batch, False)
        streams, samples = model.predict_streams(data['inputs'], data['data_samples'])
    torch.testing.assert_close(torch.stack([o.pred_score for o in samples]), fused)
    for name in order:
        torch.testing.assert_close(streams[name]['score'], expected[kind][name], atol=1e-6,
                                   rtol=1e-5)
    if kind == 'learned':
        model.save_stream_weights = True  # keys of checkpoints that keep the streams
        keys = list(model.state_dict())
        assert 'fusion_head._extra_state' in keys  # the stream order, new since the fixture
        assert [k for k in keys if k != 'fusion_head._extra_state'] == \
            expected['keys_with_streams']
        # the head now records its stream order: weights trained in another order do not load
        cfg.model.streams = dict(reversed(list(cfg.model.streams.items())))
        mixed_up = MODELS.build(cfg.model)
        with pytest.raises(ValueError, match=re.escape(
                f'trained with the streams in the order {order}, this model has '
                f'{order[::-1]}')):
            mixed_up.load_state_dict(model.state_dict())
