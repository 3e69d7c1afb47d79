"""Checkpoints written before the restructuring still load strictly into today's models.

The fixtures in ``tests/data/legacy/`` are the demo pretraining model and the demo finetuning
recognizer, shrunk and saved with random weights by the main of the day, in the layout of
mmengine's ``Runner`` (``state_dict`` + ``meta``); ``tests/data/legacy/README.md`` says how.
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

REPO = Path(__file__).resolve().parents[2]
LEGACY = REPO / 'tests' / 'data' / 'legacy'
DEMO = REPO / 'configs' / 'demo'
# The same overrides as tests/data/legacy/make_legacy_checkpoints.py used, plus the clip geometry
# of the demo configs of the day (16-px patches, 2-frame tubelets; they now use 8 and 4).
CASES = {
    'signmae-handarm_demo_pretrainer': (
        DEMO / 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py',
        dict(backbone=dict(embed_dims=16, depth=1, num_heads=2, patch_size=16, tubelet_size=2),
             neck=dict(embed_dims=8, depth=1, num_heads=1))),
    'vit_demo_recognizer': (
        DEMO / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py',
        dict(backbone=dict(embed_dims=16, depth=1, num_heads=2, init_cfg=None, patch_size=16,
                           tubelet_size=2),
             cls_head=dict(in_channels=16))),
}


def _build(name: str):
    config, overrides = CASES[name]
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(dict(model=overrides))
    init_default_scope('mmaction')
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('name', sorted(CASES))
def test_legacy_checkpoint_loads_strictly(name):
    model = _build(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    checkpoint = load_checkpoint(model, str(LEGACY / f'{name}.pth'), map_location='cpu',
                                 strict=True)
    assert set(checkpoint) >= {'state_dict', 'meta'}
    stored = checkpoint['state_dict']
    assert set(stored) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(value, stored[key]), key
    # The file's weights are not the fresh ones: loading changed the model.
    assert any(not torch.equal(before[k], stored[k]) for k in stored)


def test_legacy_pretrainer_runs_a_loss_step():
    model = _build('signmae-handarm_demo_pretrainer')
    load_checkpoint(model, str(LEGACY / 'signmae-handarm_demo_pretrainer.pth'),
                    map_location='cpu', strict=True)
    gen = torch.Generator().manual_seed(0)
    masks = torch.rand(2, 64, generator=gen).argsort(1) < 58  # 58 of 4x4x4 tokens masked
    samples = []
    for mask in masks:
        sample = ActionDataSample()
        sample.set_field(mask.numpy(), 'mask')  # as PackActionInputs(algorithm_keys=('mask',))
        samples.append(sample)
    clips = [torch.randint(0, 256, (1, 3, 8, 64, 64), generator=gen, dtype=torch.uint8)
             for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=clips, data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_rec'])


def test_legacy_recognizer_predicts():
    model = _build('vit_demo_recognizer').eval()
    load_checkpoint(model, str(LEGACY / 'vit_demo_recognizer.pth'), map_location='cpu',
                    strict=True)
    gen = torch.Generator().manual_seed(0)
    clips = [torch.randint(0, 256, (1, 3, 8, 64, 64), generator=gen, dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=clips, data_samples=[ActionDataSample()]))
    with torch.no_grad():
        pred = model(**data, mode='predict')[0]
    assert pred.pred_score.shape == (10, ) and torch.isfinite(pred.pred_score).all()
