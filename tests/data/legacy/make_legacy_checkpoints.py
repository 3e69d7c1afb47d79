"""Writes the legacy checkpoint fixtures of this folder (run once, against the main of the day).

The fixtures stand for checkpoints that users already have: they were written by the package as
it was before a restructuring, and `tests/models/test_legacy_checkpoints.py` checks that today's
package still loads them strictly. Rerunning this script against today's package would defeat
that purpose; it is kept to say exactly how the files were made::

    git archive <commit> | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python tests/data/legacy/make_legacy_checkpoints.py \
        /tmp/before tests/data/legacy
"""
import sys
import time
from pathlib import Path

import torch
from mmengine import __version__ as mmengine_version
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

# The demo models shrunk so that each file stays small (the same overrides as in the test).
PRETRAIN = ('configs/demo/signmae-handarm_vit-tiny-p16_8x2x1_signdemo.py',
            dict(backbone=dict(embed_dims=16, depth=1, num_heads=2),
                 neck=dict(embed_dims=8, depth=1, num_heads=1)))
FINETUNE = ('configs/demo/vit-tiny-p16_signmae-handarm-pre_8x2x1_signdemo.py',
            dict(backbone=dict(embed_dims=16, depth=1, num_heads=2, init_cfg=None),
                 cls_head=dict(in_channels=16)))


def _write(root: Path, out: Path, config: str, overrides: dict, name: str, seed: int) -> None:
    import signmae_mm  # noqa: F401  (registers the modules of the checkout on PYTHONPATH)
    from mmaction.registry import MODELS

    cfg = Config.fromfile(str(root / config))
    cfg.merge_from_dict(dict(model=overrides))
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    # The layout mmengine's Runner.save_checkpoint writes (weights and meta; no optimizer).
    meta = dict(cfg=cfg.pretty_text, seed=seed, experiment_name=name, epoch=1, iter=1,
                time=time.strftime('%Y%m%d_%H%M%S'), mmengine_version=mmengine_version)
    save_checkpoint(dict(meta=meta, state_dict=model.state_dict()), str(out / f'{name}.pth'))


if __name__ == '__main__':
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    _write(root, out, *PRETRAIN, name='signmae-handarm_demo_pretrainer', seed=0)
    _write(root, out, *FINETUNE, name='vit_demo_recognizer', seed=1)
