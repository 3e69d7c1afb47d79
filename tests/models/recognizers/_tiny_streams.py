"""Tiny stream checkpoints made from our real stream configs, saved as mmengine saves them
(``state_dict`` + ``meta.cfg``, the config text), for the fusion tests."""
from pathlib import Path
from typing import Dict, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'
VIDEO_CONFIG = CONFIGS / 'fusion' / 'streams' / 'vit-base-p16_signmae-tube-pre_16x4x1_wlasl2000.py'
HEATMAP_CONFIG = CONFIGS / 'heatmap' / 'heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
LATE_CONFIG = CONFIGS / 'fusion' / 'late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
NUM_CLASSES, FRAMES, RGB_SIZE, HEATMAP_SIZE = 3, 4, 32, 16

TINY_VIDEO = {
    'model.backbone.img_size': RGB_SIZE, 'model.backbone.patch_size': 8,
    'model.backbone.num_frames': FRAMES, 'model.backbone.embed_dims': 64,
    'model.backbone.depth': 2, 'model.backbone.num_heads': 4, 'model.backbone.init_cfg': None,
    'model.cls_head.in_channels': 64, 'model.cls_head.num_classes': NUM_CLASSES,
    'model.data_preprocessor.blending': None
}
TINY_HEATMAP = {
    'model.backbone.base_channels': 4, 'model.backbone.stage_blocks': (1, 1, 1),
    'model.backbone.conv1_stride_s': 1, 'model.cls_head.in_channels': 64,
    'model.cls_head.num_classes': NUM_CLASSES
}


def make_stream_checkpoint(config: Path, options: Dict, path: Path,
                           seed: int) -> Tuple[Config, torch.nn.Module]:
    """Build a stream from ``config`` + ``options``, give it distinct random weights, save it.

    Returns:
        tuple[Config, nn.Module]: The stream's config and model (eval mode).
    """
    init_default_scope('mmaction')
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(options)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():  # a head far from uniform, so that fused scores differ per stream
        model.cls_head.fc_cls.weight.normal_(0, 0.5)
        model.cls_head.fc_cls.bias.normal_(0, 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(cfg=cfg.pretty_text, epoch=1)),
               path)
    model.train(False)
    return cfg, model


def make_three_streams(root: Path) -> Dict[str, Tuple[Path, torch.nn.Module]]:
    """Two tiny video streams and a tiny heatmap stream: name -> (checkpoint, model)."""
    out = {}
    for seed, (name, config, options) in enumerate(
        (('rgb_handarm', VIDEO_CONFIG, TINY_VIDEO), ('rgb_tube', VIDEO_CONFIG, TINY_VIDEO),
         ('heatmap', HEATMAP_CONFIG, TINY_HEATMAP))):
        path = root / name / 'best_acc_top1_epoch_1.pth'
        _, model = make_stream_checkpoint(config, options, path, seed)
        out[name] = (path, model)
    return out


def fusion_model_cfg(streams: Dict[str, Tuple[Path, torch.nn.Module]], **head) -> dict:
    """The late-fusion config's model with these stream checkpoints (and head overrides)."""
    cfg = Config.fromfile(str(LATE_CONFIG)).model.to_dict()
    for name, (path, _) in streams.items():
        cfg['streams'][name]['checkpoint'] = str(path)
    cfg['fusion_head'].update(head)
    return cfg
