"""StreamFusionHead: late fusion is the weighted average of the streams' scores; the learned
head is a classifier on the concatenated (normalised) stream features."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401

STREAMS = ['rgb_handarm', 'rgb_tube', 'heatmap']


def _outputs(n=5, k=7, widths=(8, 8, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        name: dict(score=torch.softmax(torch.randn(n, k, generator=g) * 3, dim=1),
                   feat=torch.randn(n, c, generator=g))
        for name, c in zip(STREAMS, widths)
    }


def _head(**kwargs):
    init_default_scope('mmaction')  # earlier tests may have left another scope
    return MODELS.build(dict(type='StreamFusionHead', num_classes=7, streams=STREAMS, **kwargs))


@pytest.mark.parametrize('weights', [[0.2, 0.5, 0.3], dict(heatmap=3, rgb_tube=5, rgb_handarm=2),
                                     [1, 0, 0]])
def test_late_fusion_equals_the_weighted_average_of_the_stream_scores(weights):
    out = _outputs()
    head = _head(mode='late', weights=weights)
    w = [weights[s] for s in STREAMS] if isinstance(weights, dict) else weights
    expected = sum(wi * out[s]['score'] for wi, s in zip(w, STREAMS)) / sum(w)
    torch.testing.assert_close(head(out), expected)
    samples = head.predict(out, [ActionDataSample() for _ in range(5)])
    scores = torch.stack([s.pred_score for s in samples])
    torch.testing.assert_close(scores, expected)  # as they are: no softmax on top
    assert [int(s.pred_label) for s in samples] == expected.argmax(1).tolist()
    assert sum(head.fusion_weights.values()) == pytest.approx(1)


def test_late_fusion_defaults_to_equal_weights_and_has_nothing_to_train():
    out = _outputs()
    head = _head()
    torch.testing.assert_close(head(out), sum(out[s]['score'] for s in STREAMS) / 3)
    assert list(head.state_dict()) == [f'stream_weights.{s}' for s in STREAMS]
    with pytest.raises(RuntimeError, match='tools/fuse_scores.py'):
        head.loss(out, [ActionDataSample().set_gt_label(0) for _ in range(5)])


@pytest.mark.parametrize('weights,match', [([1, 2], '2 weights for 3 streams'),
                                           ([1, -1, 1], '>= 0'), ([0, 0, 0], 'not all 0'),
                                           (dict(rgb=1, heatmap=1), 'weights are for streams')])
def test_bad_weights_are_refused(weights, match):
    with pytest.raises(ValueError, match=match):
        _head(mode='late', weights=weights)


def test_learned_head_classifies_the_concatenated_normalised_features():
    out = _outputs()
    head = _head(mode='learned', in_channels=[8, 8, 4], dropout_ratio=0.)
    head.init_weights()
    assert head.fc_cls.in_features == 20
    logits = head(out)
    feats = torch.cat([torch.nn.functional.layer_norm(out[s]['feat'], (out[s]['feat'].shape[1], ))
                       for s in STREAMS], dim=1)
    torch.testing.assert_close(logits, head.fc_cls(feats))
    labels = [ActionDataSample().set_gt_label(i % 7) for i in range(5)]
    losses = head.loss(out, labels)
    assert losses['loss_cls'].requires_grad and 'top1_acc' in losses
    samples = head.predict(out, [ActionDataSample() for _ in range(5)])
    torch.testing.assert_close(torch.stack([s.pred_score for s in samples]),
                               torch.softmax(logits, dim=1))


def test_learned_head_checks_its_configuration_and_inputs():
    with pytest.raises(ValueError, match='needs the feature width'):
        _head(mode='learned')
    with pytest.raises(ValueError, match='weights are for mode="late"'):
        _head(mode='learned', in_channels=[8, 8, 4], weights=[1, 1, 1])
    with pytest.raises(ValueError, match='mode must be one of'):
        _head(mode='early')
    head = _head(mode='learned', in_channels=[8, 8, 5])
    with pytest.raises(ValueError, match="stream 'heatmap' gives features"):
        head(_outputs())
    with pytest.raises(KeyError, match='no outputs for streams'):
        head({'rgb_tube': _outputs()['rgb_tube']})
