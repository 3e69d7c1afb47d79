"""How large a hand is in tokens: measured from the sign annotations, in a config's geometry."""
import json
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import hand_extents, tokens_per_hand
from signmae_mm.structures import load_sign_annotation

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / 'configs' / 'demo' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    return write_demo_dataset(str(tmp_path_factory.mktemp('hands')), num_classes=2,
                              videos_per_class=3, num_frames=16, size=64, seed=4)


def test_extents_are_the_boxes_of_the_visible_hands(demo):
    entries = json.loads(Path(demo.ann_files['train']).read_text())['data_list']
    extents = hand_extents(demo.ann_files['train'], demo.sign_ann_prefix)
    first = hand_extents(demo.ann_files['train'], demo.sign_ann_prefix, max_videos=1)
    np.testing.assert_array_equal(extents[:len(first)], first)  # video by video, in list order
    ann = load_sign_annotation(str(Path(demo.sign_ann_prefix) / entries[0]['sign_ann']))
    expected = []
    for start in (91, 112):  # left hand, then right hand
        points = ann['keypoints'][:, start:start + 21]
        # a frame where a finger is hidden (score 0) gives no extent for that hand
        visible = (ann['keypoint_scores'][:, start:start + 21] >= 0.3).all(1)
        box = points[visible].max(1) - points[visible].min(1)
        expected.append(box.max(1) / 64)
    expected = np.concatenate(expected)
    assert 0 < len(expected) < 32  # the rest pose hides fingers in some frames
    np.testing.assert_allclose(first, expected, rtol=1e-6)
    assert 0.1 < np.median(extents) < 0.3  # the demo frames its signer like real video


def test_tokens_per_hand_follows_the_patch_size(demo):
    cfg = Config.fromfile(str(FINETUNE))
    at8 = tokens_per_hand(cfg, demo.ann_files['test'], demo.sign_ann_prefix)
    assert at8['cells'] == 64 / 8
    assert at8['tokens_per_hand'] == pytest.approx(8 * at8['median_extent'])
    cfg.model.backbone.patch_size = 16
    at16 = tokens_per_hand(cfg, demo.ann_files['test'], demo.sign_ann_prefix)
    assert at16['tokens_per_hand'] == pytest.approx(at8['tokens_per_hand'] / 2)


def test_a_list_without_sign_annotations_is_refused(demo, tmp_path):
    data = json.loads(Path(demo.ann_files['test']).read_text())
    for entry in data['data_list']:
        entry.pop('sign_ann')
    bare = tmp_path / 'bare.json'
    bare.write_text(json.dumps(data))
    with pytest.raises(ValueError, match='bare.json.*has no sign_ann'):
        hand_extents(str(bare), demo.sign_ann_prefix)


def test_tool(demo):
    import subprocess
    import sys
    cmd = [sys.executable, str(REPO / 'tools' / 'tokens_per_hand.py'), str(FINETUNE),
           demo.ann_files['test'], '--sign-ann-prefix', demo.sign_ann_prefix]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = tokens_per_hand(str(FINETUNE), demo.ann_files['test'], demo.sign_ann_prefix)
    assert f'a hand spans {expected["tokens_per_hand"]:.2f} tokens across' in proc.stdout
    proc = subprocess.run(cmd[:3] + ['missing.json'], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1 and 'missing.json does not exist' in proc.stderr
