"""LearnedFusionHead: a classifier on the concatenated (normalised) stream features."""
import pytest
import torch
from _stream_outputs import STREAMS, build_head, stream_outputs
from mmaction.structures import ActionDataSample

from signmae_mm.models import LearnedFusionHead


def test_learned_head_classifies_the_concatenated_normalised_features():
    out = stream_outputs()
    head = build_head('LearnedFusionHead', in_channels=[8, 8, 4], dropout_ratio=0.)
    assert isinstance(head, LearnedFusionHead) and head.uses_features
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


def test_the_streams_features_are_concatenated_in_stream_order():
    head = build_head('LearnedFusionHead', in_channels=8, feat_norm=False, dropout_ratio=0.)
    out = stream_outputs(widths=(8, 8, 8))
    with torch.no_grad():  # only the heatmap stream's columns count
        head.fc_cls.weight.zero_()
        head.fc_cls.weight[:, 16:] = torch.randn(7, 8)
        head.fc_cls.bias.zero_()
    torch.testing.assert_close(head(out), out['heatmap']['feat'] @ head.fc_cls.weight[:, 16:].T)
    state = head.state_dict()
    assert list(state) == ['_extra_state', 'fc_cls.weight', 'fc_cls.bias']
    assert state['_extra_state'] == dict(streams=['rgb_handarm', 'rgb_tube', 'heatmap'])


def test_weights_of_another_stream_order_do_not_load():
    """The head is positional: weights trained with the streams in another order would mix
    them up silently, so loading them fails; checkpoints without the recorded order load."""
    head = build_head('LearnedFusionHead', in_channels=8)
    state = head.state_dict()
    other = build_head('LearnedFusionHead', in_channels=8,
                       streams=['heatmap', 'rgb_handarm', 'rgb_tube'])
    with pytest.raises(ValueError, match=r"in the order \['rgb_handarm', 'rgb_tube', "
                       r"'heatmap'\], this model has \['heatmap', 'rgb_handarm', 'rgb_tube'\]"):
        other.load_state_dict(state)
    legacy = {k: v for k, v in state.items() if k != '_extra_state'}
    other.load_state_dict(legacy)  # strict: the missing order is not a missing key
    torch.testing.assert_close(other.fc_cls.weight, head.fc_cls.weight)


def test_learned_head_checks_its_configuration_and_inputs():
    with pytest.raises(ValueError, match='needs the feature width'):
        build_head('LearnedFusionHead', in_channels=0)
    with pytest.raises(ValueError, match='2 in_channels for 3 streams'):
        build_head('LearnedFusionHead', in_channels=[8, 8])
    head = build_head('LearnedFusionHead', in_channels=[8, 8, 5])
    with pytest.raises(ValueError, match="stream 'heatmap' gives features"):
        head(stream_outputs())
    with pytest.raises(KeyError, match='no outputs for streams'):
        head({'rgb_tube': stream_outputs()['rgb_tube']})
