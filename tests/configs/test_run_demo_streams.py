"""Acceptance: tools/run_demo_streams.sh, the whole downstream on a tiny demo set, one epoch per
training run: the main job (hand-arm stream), the tube and heatmap streams, late fusion with
weights searched on validation, learned fusion over the frozen streams, both baselines, and one
table with a row for each."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signmae_mm.demo import write_demo_dataset

REPO = Path(__file__).resolve().parents[2]
ROWS = ('hand-arm ViT', 'tube ViT', 'heatmap C3D', 'late fusion', 'learned fusion',
        'pixels (linear)', 'keypoints (linear)')


def test_run_demo_streams_end_to_end(tmp_path):
    if shutil.which('mim', path=str(Path(sys.executable).parent)) is None and \
            shutil.which('mim') is None:
        pytest.fail('`mim` (openmim) is not installed beside this Python')
    demo = write_demo_dataset(str(tmp_path / 'demo'), num_classes=2, videos_per_class=4,
                              num_frames=16, size=64, seed=5)
    env = dict(os.environ)
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
    # every process of the script imports this checkout's package
    env['PYTHONPATH'] = str(REPO)
    work = tmp_path / 'work'
    env.update(SIGNMAE_DEMO_DATA=demo.root, SIGNMAE_DEMO_WORK_DIR=str(work))
    proc = subprocess.run(
        ['bash', str(REPO / 'tools' / 'run_demo_streams.sh'), '--cfg-options',
         'train_cfg.max_epochs=1'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]

    # the heatmap stream and the keypoint baseline read the noisy twin of the annotations
    noisy = Path(demo.root) / 'sign_ann_noisy'
    assert (noisy / 'keypoint_noise.json').is_file()
    assert f'the keypoint stream reads {noisy}' in out
    # the fusion weights were searched on the validation dumps
    late = json.loads((work / 'late_fusion.json').read_text())
    assert late['fit'] and all('/val_' in p for p in late['fitted_on'])
    assert set(late['weights']) == {'rgb_handarm', 'rgb_tube', 'heatmap'}

    # one table: a row per stream, fusion and baseline, per pair kind
    table = out[out.index('the whole downstream'):]
    header = table.splitlines()[1]
    assert header.split()[:3] == ['top-1', 'top-5', 'per-class']
    # 2 signs: one pair, of the shape kind
    assert 'shape pairs' in header and 'right pair' in header
    rows = {}
    for name in ROWS:
        m = re.search(rf'^\s+{re.escape(name)}\s+((?:[\d.]+%\s*)+)$', table, flags=re.M)
        assert m, (name, table[:3000])
        rows[name] = [float(v) for v in re.findall(r'([\d.]+)%', m.group(1))]
        assert len(rows[name]) == 5 and all(0 <= v <= 100 for v in rows[name])
    figures = json.loads((work / 'streams_table.json').read_text())
    assert list(figures) == list(ROWS)
    kp = json.loads((work / 'keypoint_baseline.json').read_text())
    assert rows['keypoints (linear)'][0] == pytest.approx(100 * kp['acc/per_instance_top1'],
                                                          abs=0.01)
    n_test = demo.counts['test']
    assert all(figures[r]['num_samples'] == n_test for r in ROWS[:5])
    assert re.search(r'total wall time: \d+m\d\ds', out)
