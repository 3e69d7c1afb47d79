"""Write the legacy multi-stream fixtures of this folder with the code of the commit before the
fusion heads were split (run once, from a pristine copy of that commit)::

    git archive 3603348 | tar -x -C /tmp/fusion_before
    PYTHONPATH=/tmp/fusion_before python tests/data/legacy/fusion/make_fixtures.py

Tiny streams from the real stream configs (saved as ``state_dict`` + ``meta.cfg``), a late-
and a learned-fusion checkpoint of ``MultiStreamRecognizer`` saved as mmengine's Runner saves
them (head only, ``meta.cfg`` the fusion config), one input batch and the scores of that code,
and the state-dict keys of a model that keeps its streams' weights.
"""
import os
import sys
from pathlib import Path

import mmengine
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

import signmae_mm  # noqa: F401

HERE = Path(__file__).resolve().parent
CODE = Path(signmae_mm.__file__).resolve().parents[1]  # the pristine tree, for its configs
VIDEO = CODE / 'configs/fusion/streams/vit-base-p16_signmae-tube-pre_16x4x1_wlasl2000.py'
HEATMAP = CODE / 'configs/heatmap/heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
LATE = CODE / 'configs/fusion/late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
LEARNED = CODE / 'configs/fusion/learned-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
NUM_CLASSES, FRAMES, RGB_SIZE, HEATMAP_SIZE = 3, 4, 32, 16
TINY_VIDEO = {
    'model.backbone.img_size': RGB_SIZE, 'model.backbone.patch_size': 8,
    'model.backbone.num_frames': FRAMES, 'model.backbone.embed_dims': 32,
    'model.backbone.depth': 1, 'model.backbone.num_heads': 2, 'model.backbone.init_cfg': None,
    'model.cls_head.in_channels': 32, 'model.cls_head.num_classes': NUM_CLASSES,
    'model.data_preprocessor.blending': None
}
TINY_HEATMAP = {
    'model.backbone.base_channels': 4, 'model.backbone.stage_blocks': (1, 1, 1),
    'model.backbone.conv1_stride_s': 1, 'model.cls_head.in_channels': 64,
    'model.cls_head.num_classes': NUM_CLASSES
}
STREAMS = (('rgb_handarm', VIDEO, TINY_VIDEO), ('rgb_tube', VIDEO, TINY_VIDEO),
           ('heatmap', HEATMAP, TINY_HEATMAP))
CLASSES = ('book', 'drink', 'computer')


def stream_checkpoint(name, config, options, seed):
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(options)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():  # a head far from uniform, so that the streams' scores differ
        model.cls_head.fc_cls.weight.normal_(0, 0.5)
        model.cls_head.fc_cls.bias.normal_(0, 0.5)
    path = HERE / 'streams' / f'{name}.pth'
    path.parent.mkdir(exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(cfg=cfg.pretty_text, epoch=1)), path)


def fusion_checkpoint(config, path, seed):
    """Build the fusion model from ``config`` on the tiny streams, save it as the Runner does."""
    cfg = Config.fromfile(str(config))
    for name, _, _ in STREAMS:  # relative to the repository, as work_dirs/... would be
        cfg.model.streams[name].checkpoint = f'tests/data/legacy/fusion/streams/{name}.pth'
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.manual_seed(seed)
    with torch.no_grad():  # weights a fresh head would not have: loading them must matter
        for value in model.fusion_head.state_dict(keep_vars=True).values():
            value.copy_(torch.rand_like(value) + 0.1)
    meta = dict(cfg=cfg.pretty_text, seed=seed, experiment_name=path.stem, epoch=1, iter=1,
                time='20261129_000000', mmengine_version=mmengine.__version__,
                dataset_meta=dict(classes=CLASSES))
    save_checkpoint(dict(meta=meta, state_dict=weights_to_cpu(model.state_dict())), str(path))
    return model.eval()


def main():
    init_default_scope('mmaction')
    os.chdir(HERE.parents[3])  # the stream paths of the fusion configs are repository-relative
    for seed, (name, config, options) in enumerate(STREAMS):
        stream_checkpoint(name, config, options, seed)
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(0, 256, (2, 2, 3, FRAMES, RGB_SIZE, RGB_SIZE), generator=g,
                         dtype=torch.uint8)
    heat = torch.randint(0, 256, (2, 1, 63, FRAMES, HEATMAP_SIZE, HEATMAP_SIZE), generator=g,
                         dtype=torch.uint8)
    expected = dict(imgs=imgs, heatmap_imgs=heat)
    for kind, config, seed in (('late', LATE, 10), ('learned', LEARNED, 11)):
        model = fusion_checkpoint(config, HERE / f'{kind}_fusion.pth', seed)
        # heatmaps are uint8 here to keep the file small: the model gets them / 255
        batch = dict(inputs=dict(imgs=list(imgs), heatmap_imgs=list(heat.float() / 255)),
                     data_samples=[ActionDataSample() for _ in range(2)])
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            streams = model.extract_feat(data['inputs'])
            fused = model.fusion_head.predict(streams, data['data_samples'])
        expected[kind] = dict(fused=torch.stack([s.pred_score for s in fused]),
                              **{name: out['score'] for name, out in streams.items()})
    # the state-dict keys with the streams kept (save_stream_weights=True): too large to store
    model.save_stream_weights = True
    expected['keys_with_streams'] = list(model.state_dict())
    torch.save(expected, HERE / 'expected_scores.pth')
    print('written with signmae_mm from', CODE, file=sys.stderr)


if __name__ == '__main__':
    main()
