"""HeatmapC3D: PoseC3D's SlowOnly ResNet3d for 63-channel sign heatmaps, in Recognizer3D."""
import pytest
import torch
from mmaction.models.backbones import ResNet3dSlowOnly
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')  # earlier tests may have left another scope


def test_default_is_posec3d_sized_for_112px_63_channel_heatmaps():
    backbone = MODELS.build(dict(type='HeatmapC3D'))
    assert isinstance(backbone, ResNet3dSlowOnly)
    assert backbone.out_channels == 512
    assert 1.5e6 < sum(p.numel() for p in backbone.parameters()) < 3e6  # light: ~2M
    backbone.train(False)
    with torch.no_grad():
        out = backbone(torch.zeros(1, 63, 16, 112, 112))
    assert out.shape == (1, 512, 8, 7, 7)


def test_56px_heatmaps_with_a_stride_1_stem_give_the_same_feature_map():
    backbone = MODELS.build(dict(type='HeatmapC3D', conv1_stride_s=1, base_channels=8,
                                 stage_blocks=(1, 1, 1)))
    assert backbone.out_channels == 128
    backbone.train(False)
    with torch.no_grad():
        assert backbone(torch.zeros(2, 63, 8, 56, 56)).shape == (2, 128, 4, 7, 7)


def test_wrong_channel_count_names_the_fix():
    backbone = MODELS.build(dict(type='HeatmapC3D', base_channels=4, stage_blocks=(1, 1, 1)))
    with pytest.raises(ValueError, match='backbone.in_channels'):
        backbone(torch.zeros(1, 17, 4, 32, 32))


def test_trains_in_recognizer3d_with_i3d_head():
    model = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='HeatmapC3D', base_channels=4, stage_blocks=(1, 1, 1),
                      conv1_stride_s=1),
        cls_head=dict(type='I3DHead', in_channels=64, num_classes=3, average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))
    model.init_weights()
    inputs = [torch.rand(1, 63, 4, 16, 16) for _ in range(2)]
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    assert model.backbone.conv1.conv.weight.grad.abs().sum() > 0
