"""StreamFusionHead, kept for configs written before the two fusion heads: ``mode`` builds the
head it stands for, with the arguments and checkpoint keys of that time."""
import pytest
import torch
from _stream_outputs import STREAMS, build_head, stream_outputs

from signmae_mm.models import FUSION_MODES, LateFusionHead, LearnedFusionHead
from signmae_mm.models.heads.stream_fusion_head import fusion_head_cfg


def test_late_mode_is_the_late_fusion_head():
    head = build_head('StreamFusionHead', mode='late', weights=[0.2, 0.5, 0.3],
                      dropout_ratio=0.5, feat_norm=True)  # learned-only arguments: ignored
    assert type(head) is LateFusionHead and head.mode == 'late'
    out = stream_outputs()
    expected = sum(w * out[s]['score'] for w, s in zip([0.2, 0.5, 0.3], STREAMS))
    torch.testing.assert_close(head(out), expected)
    assert type(build_head('StreamFusionHead')) is LateFusionHead  # the default mode
    assert list(build_head('StreamFusionHead').state_dict()) == [
        f'stream_weights.{s}' for s in STREAMS]


def test_learned_mode_is_the_learned_fusion_head():
    head = build_head('StreamFusionHead', mode='learned', in_channels=[8, 8, 4])
    assert type(head) is LearnedFusionHead and head.mode == 'learned'
    assert list(head.state_dict()) == [  # the keys of the StreamFusionHead era, + the order
        '_extra_state', 'norms.0.weight', 'norms.0.bias', 'norms.1.weight', 'norms.1.bias', 'norms.2.weight',
        'norms.2.bias', 'fc_cls.weight', 'fc_cls.bias']


def test_old_configuration_errors_stay():
    assert FUSION_MODES == ('late', 'learned')
    with pytest.raises(ValueError, match='needs the feature width'):
        build_head('StreamFusionHead', mode='learned')
    with pytest.raises(ValueError, match='weights are for mode="late"'):
        build_head('StreamFusionHead', mode='learned', in_channels=[8, 8, 4], weights=[1, 1, 1])
    with pytest.raises(ValueError, match='mode must be one of'):
        build_head('StreamFusionHead', mode='early')


def test_fusion_head_cfg_translates_only_stream_fusion_head_configs():
    assert fusion_head_cfg(dict(type='StreamFusionHead', mode='learned', dropout_ratio=0.)) == \
        dict(type='LearnedFusionHead', dropout_ratio=0.)
    assert fusion_head_cfg(dict(type='mmaction.StreamFusionHead', weights=[1, 2],
                                in_channels=3)) == dict(type='LateFusionHead', weights=[1, 2])
    late = dict(type='LateFusionHead', weights=[1, 2])
    assert fusion_head_cfg(late) == late and fusion_head_cfg(late) is not late
