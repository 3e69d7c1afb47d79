"""Record the state-dict keys and shapes that the one-head pretraining configs build.

Run with the package of the commit to record (``PYTHONPATH`` first), from outside the checkout
(a script's folder comes before ``PYTHONPATH``)::

    git archive 7ef7e1c | tar -x -C /tmp/before && cd /tmp && \\
        PYTHONPATH=/tmp/before python /work/wt24/tests/data/legacy/make_pretrainer_state_dicts.py \\
        /tmp/before /work/wt24/tests/data/legacy
"""
import json
import sys
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS

CONFIGS = ('configs/demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py',
           'configs/signmae/signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py')


def main(root: str, out_dir: str) -> None:
    init_default_scope('mmaction')
    record = {}
    for config in CONFIGS:
        model = MODELS.build(Config.fromfile(str(Path(root) / config)).model)
        record[config] = {k: list(v.shape) for k, v in model.state_dict().items()}
    # One tensor a line, so that a diff shows what changed.
    lines = []
    for config, shapes in record.items():
        rows = [f'    {json.dumps(k)}: {json.dumps(v)}' for k, v in shapes.items()]
        lines.append(f'  {json.dumps(config)}: {{\n' + ',\n'.join(rows) + '\n  }')
    with open(Path(out_dir) / 'pretrainer_state_dicts.json', 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')


if __name__ == '__main__':
    main(*sys.argv[1:3])
