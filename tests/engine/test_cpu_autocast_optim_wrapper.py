"""CPUAutocastOptimWrapper: the heavy modules of a training step in CPU bfloat16, everything that
the optimiser, the heads and the logging see in float32."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from signmae_mm.engine import CPUAutocastOptimWrapper, cpu_bf16_supported


def _recognizer():
    init_default_scope('mmaction')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='VisionTransformer', img_size=32, patch_size=8, embed_dims=32,
                      depth=1, num_heads=2, num_frames=4, tubelet_size=2,
                      norm_cfg=dict(type='LN', eps=1e-6)),
        cls_head=dict(type='TimeSformerHead', num_classes=3, in_channels=32),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))


def _batch():
    gen = torch.Generator().manual_seed(1)
    inputs = [torch.randint(0, 256, (1, 3, 4, 32, 32), generator=gen, dtype=torch.uint8)
              for _ in range(2)]
    samples = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(2)]
    return dict(inputs=inputs, data_samples=samples)


def _wrapper(model, **kwargs):
    return build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper',
                                           optimizer=dict(type='AdamW', lr=1e-3), **kwargs))


def test_the_backbone_runs_in_bfloat16_and_hands_on_float32():
    model = _recognizer()
    wrapper = _wrapper(model, enabled=True)
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    seen = []
    model.backbone.blocks[0].mlp.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    head = []
    model.cls_head.register_forward_hook(lambda m, i, o: head.append((i[0].dtype, o.dtype)))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log = model.train_step(_batch(), wrapper)
    assert seen == [torch.bfloat16]  # inside the backbone: autocast
    assert head == [(torch.float32, torch.float32)]  # what leaves it: float32
    assert torch.isfinite(log['loss']) and 'top1_acc' in log  # accuracy logging via NumPy
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert 'forward' not in vars(model.backbone)  # the class's forward again, outside a step
    model.backbone(torch.zeros(1, 3, 4, 32, 32))
    assert seen[-1] == torch.float32


def test_disabled_and_auto():
    model = _recognizer()
    seen = []
    model.backbone.blocks[0].mlp.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    model.train_step(_batch(), _wrapper(model, enabled=False))
    assert seen == [torch.float32]
    assert _wrapper(_recognizer()).enabled == cpu_bf16_supported()
    with pytest.raises(ValueError, match="enabled must be True, False or 'auto'"):
        _wrapper(_recognizer(), enabled='yes')
