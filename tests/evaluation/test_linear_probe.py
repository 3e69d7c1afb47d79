"""The frozen-encoder linear probe: it reads the pretraining checkpoint's encoder, its features
are those of that encoder, it refuses a checkpoint of another model, and the tool runs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import signmae_mm  # noqa: F401  (compat fixes before mmaction)
from mmaction.registry import MODELS
from signmae_mm.apis import init_sign_encoder
from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import (POOLINGS, encoder_features, linear_probe, linear_probes,
                                   pooled_features)

ROOT = Path(__file__).resolve().parents[2]
DEMO_CFG = ROOT / 'configs' / 'demo'
PRETRAIN = DEMO_CFG / 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py'
FINETUNE = DEMO_CFG / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """2 classes (one shape pair) x 6 videos (4 train, 1 val, 1 test), the demo's geometry."""
    return write_demo_dataset(str(tmp_path_factory.mktemp('probe_demo')), num_classes=2,
                              videos_per_class=6, num_frames=16, size=64, seed=2)


def _pretraining_checkpoint(path: Path, **backbone) -> Path:
    init_default_scope('mmaction')
    cfg = Config.fromfile(str(PRETRAIN)).model.to_dict()
    cfg['backbone'].update(backbone)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    save_checkpoint(dict(meta=dict(), state_dict=model.state_dict()), str(path))
    return path


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return _pretraining_checkpoint(tmp_path_factory.mktemp('probe_ckpt') / 'pretrain.pth')


def test_probe_uses_the_pretrained_encoder(demo, checkpoint):
    cfg = Config.fromfile(str(FINETUNE))
    probed = init_sign_encoder(cfg, str(checkpoint), 'cpu')
    saved = torch.load(str(checkpoint), map_location='cpu', weights_only=True)['state_dict']
    own = probed.backbone.state_dict()
    loaded = [k for k in own if f'backbone.{k}' in saved]
    # every encoder weight but the fresh fc_norm comes from the checkpoint
    assert set(own) - set(loaded) == {'fc_norm.weight', 'fc_norm.bias'}
    for key in loaded:
        assert torch.equal(own[key], saved[f'backbone.{key}']), key

    x, y = encoder_features(probed, cfg, demo.ann_files['train'], demo.video_prefix)
    assert x.shape == (8, cfg.model.backbone.embed_dims) and x.dtype == np.float32
    assert sorted(y.tolist()) == [0] * 4 + [1] * 4
    # a different encoder (random init, no checkpoint) gives different features
    torch.manual_seed(1)
    other, _ = encoder_features(init_sign_encoder(cfg, None, 'cpu'), cfg,
                                demo.ann_files['train'],
                                demo.video_prefix)
    assert not np.allclose(x, other)


def test_probe_metrics(demo, checkpoint):
    res = linear_probe(str(FINETUNE), str(checkpoint), demo.ann_files['train'],
                       demo.ann_files['test'], demo.video_prefix)
    assert res['num_train'] == 8 and res['num_test'] == 2 and res['num_classes'] == 2
    for key in ('acc/per_instance_top1', 'acc/per_class_top1', 'acc/shape_pairs_top1',
                'acc/right_pair', 'acc/train_top1'):
        assert 0.0 <= res[key] <= 1.0, key
    # 8 samples of 128 features: a linear read-out separates its own training set
    assert res['acc/train_top1'] == 1.0
    assert res['scores'].shape == (2, 2)


def test_probe_refuses_another_model(demo, tmp_path):
    wide = _pretraining_checkpoint(tmp_path / 'wide.pth', embed_dims=192, num_heads=3)
    with pytest.raises(ValueError, match='wide.pth.*another shape'):
        linear_probe(str(FINETUNE), str(wide), demo.ann_files['train'], demo.ann_files['test'],
                     demo.video_prefix)


def test_tool(demo, checkpoint, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = tmp_path / 'probe.json'
    cmd = [sys.executable, str(ROOT / 'tools' / 'linear_probe.py'), str(FINETUNE),
           str(checkpoint), demo.ann_files['train'], demo.ann_files['test'], '--video-prefix',
           demo.video_prefix, '--out', str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'acc/per_instance_top1' in proc.stdout
    res = json.loads(out.read_text())
    assert res['num_test'] == 2 and 'scores' not in res

    proc = subprocess.run(cmd[:3] + [str(tmp_path / 'missing.pth')] + cmd[4:], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and 'missing.pth does not exist' in proc.stderr


def _tokens(cfg) -> int:
    b = cfg.model.backbone
    return (b.num_frames // b.tubelet_size) * (b.img_size // b.patch_size)**2


def test_token_read_out_is_every_token_of_the_same_pass(demo, checkpoint):
    cfg = Config.fromfile(str(FINETUNE))
    model = init_sign_encoder(cfg, str(checkpoint), 'cpu')
    feats, y = pooled_features(model, cfg, demo.ann_files['train'], demo.video_prefix, POOLINGS)
    width, n = cfg.model.backbone.embed_dims, _tokens(cfg)
    assert feats['tokens'].shape == (8, n * width) and feats['mean'].shape == (8, width)
    # the mean read-out of the token pass is the backbone's own pooled feature ...
    pooled, labels = encoder_features(model, cfg, demo.ann_files['train'], demo.video_prefix)
    np.testing.assert_allclose(feats['mean'], pooled, rtol=1e-4, atol=1e-5)
    assert y.tolist() == labels.tolist()
    # ... and the token features are what it pools: fc_norm of their mean
    tokens = torch.from_numpy(feats['tokens']).reshape(8, n, width)
    with torch.no_grad():
        np.testing.assert_allclose(model.backbone.fc_norm(tokens.mean(1)).numpy(), pooled,
                                   rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match='poolings must be some of'):
        pooled_features(model, cfg, demo.ann_files['train'], demo.video_prefix, ('max', ))


def test_both_probes_from_one_pass(demo, checkpoint):
    res = linear_probes(str(FINETUNE), str(checkpoint), demo.ann_files['train'],
                        demo.ann_files['test'], demo.video_prefix)
    cfg = Config.fromfile(str(FINETUNE))
    assert set(res) == set(POOLINGS)
    assert res['mean']['feature_dim'] == cfg.model.backbone.embed_dims
    assert res['tokens']['feature_dim'] == cfg.model.backbone.embed_dims * _tokens(cfg)
    single = linear_probe(str(FINETUNE), str(checkpoint), demo.ann_files['train'],
                          demo.ann_files['test'], demo.video_prefix, pooling='tokens')
    np.testing.assert_allclose(single['scores'], res['tokens']['scores'], atol=1e-5)


def test_tool_writes_both_read_outs(demo, checkpoint, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = tmp_path / 'probes.json'
    cmd = [sys.executable, str(ROOT / 'tools' / 'linear_probe.py'), str(FINETUNE), 'none',
           demo.ann_files['train'], demo.ann_files['test'], '--video-prefix',
           demo.video_prefix, '--pooling', 'mean', 'tokens', '--out', str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'linear probe (mean)' in proc.stdout and 'linear probe (tokens)' in proc.stdout
    res = json.loads(out.read_text())
    assert set(res['probes']) == {'mean', 'tokens'} and res['settings']['checkpoint'] == 'none'
    assert all(res['probes'][p]['num_test'] == 2 for p in ('mean', 'tokens'))
