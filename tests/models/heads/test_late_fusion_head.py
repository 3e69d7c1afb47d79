"""LateFusionHead: the weighted average of the streams' scores, nothing to train."""
import pytest
import torch
from _stream_outputs import STREAMS, build_head, stream_outputs
from mmaction.structures import ActionDataSample

from signmae_mm.models import LateFusionHead


@pytest.mark.parametrize('weights', [[0.2, 0.5, 0.3], dict(heatmap=3, rgb_tube=5, rgb_handarm=2),
                                     [1, 0, 0]])
def test_late_fusion_equals_the_weighted_average_of_the_stream_scores(weights):
    out = stream_outputs()
    head = build_head('LateFusionHead', weights=weights)
    assert isinstance(head, LateFusionHead)
    w = [weights[s] for s in STREAMS] if isinstance(weights, dict) else weights
    expected = sum(wi * out[s]['score'] for wi, s in zip(w, STREAMS)) / sum(w)
    torch.testing.assert_close(head(out), expected)
    samples = head.predict(out, [ActionDataSample() for _ in range(5)])
    scores = torch.stack([s.pred_score for s in samples])
    torch.testing.assert_close(scores, expected)  # as they are: no softmax on top
    assert [int(s.pred_label) for s in samples] == expected.argmax(1).tolist()
    assert sum(head.fusion_weights.values()) == pytest.approx(1)


def test_late_fusion_defaults_to_equal_weights_and_has_nothing_to_train():
    out = stream_outputs()
    head = build_head('LateFusionHead')
    torch.testing.assert_close(head(out), sum(out[s]['score'] for s in STREAMS) / 3)
    assert list(head.state_dict()) == [f'stream_weights.{s}' for s in STREAMS]
    assert not list(head.parameters())
    with pytest.raises(RuntimeError, match='tools/fuse_scores.py'):
        head.loss(out, [ActionDataSample().set_gt_label(0) for _ in range(5)])


def test_weights_are_loaded_by_stream_name():
    head = build_head('LateFusionHead')
    head.load_state_dict({f'stream_weights.{s}': torch.tensor(w)
                          for s, w in zip(STREAMS, (2., 1., 1.))})
    assert head.fusion_weights == pytest.approx(dict(rgb_handarm=.5, rgb_tube=.25, heatmap=.25))
    with pytest.raises(RuntimeError, match='stream_weights.rgb'):  # other streams' weights
        head.load_state_dict({'stream_weights.rgb': torch.tensor(1.),
                              'stream_weights.heatmap': torch.tensor(1.)})


@pytest.mark.parametrize('weights,match', [([1, 2], '2 weights for 3 streams'),
                                           ([1, -1, 1], '>= 0'), ([0, 0, 0], 'not all 0'),
                                           (dict(rgb=1, heatmap=1), 'weights are for streams')])
def test_bad_weights_are_refused(weights, match):
    with pytest.raises(ValueError, match=match):
        build_head('LateFusionHead', weights=weights)


def test_streams_must_be_distinct_identifiers_with_outputs():
    with pytest.raises(ValueError, match='distinct'):
        build_head('LateFusionHead', streams=['a', 'a'])
    with pytest.raises(ValueError, match='identifiers'):
        build_head('LateFusionHead', streams=['rgb-tube'])
    with pytest.raises(KeyError, match='no outputs for streams'):
        build_head('LateFusionHead')({'rgb_tube': stream_outputs()['rgb_tube']})
