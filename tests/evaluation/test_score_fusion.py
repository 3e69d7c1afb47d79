"""Late fusion of score dumps written by mmaction2's own DumpResults (mim test --dump), and the
thin tools/fuse_scores.py over it."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.evaluation import top_k_accuracy
from mmaction.structures import ActionDataSample
from mmengine.evaluator import DumpResults, Evaluator

from signmae_mm.evaluation import score_fusion as tool

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'fuse_scores.py'
K = 4


def write_dump(path: Path, scores: np.ndarray, labels: np.ndarray) -> str:
    """A dump exactly as ``mim test --dump`` writes it (Evaluator + DumpResults)."""
    evaluator = Evaluator([DumpResults(out_file_path=str(path))])
    samples = [ActionDataSample().set_gt_label(int(y)).set_pred_score(torch.tensor(s)).
               set_pred_label(torch.tensor([int(np.argmax(s))])) for s, y in zip(scores, labels)]
    evaluator.process(data_samples=samples)
    evaluator.evaluate(len(samples))
    return str(path)


def complementary_streams(n: int = 40, seed: int = 0):
    """Stream a is right (confidently) on the first half and mildly wrong on the second, b the
    other way round, c is confidently wrong everywhere: a + b fuse to 100 %, c only hurts."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, K, n)
    wrong = (labels + 1 + rng.integers(0, K - 1, n)) % K

    def stream(good):
        s = np.full((n, K), 0.05 / (K - 2))
        for i in range(n):
            if good[i]:
                s[i] = 0.1 / (K - 1)
                s[i, labels[i]] = 0.9
            else:
                s[i, wrong[i]], s[i, labels[i]] = 0.6, 0.35
        return s / s.sum(1, keepdims=True)

    first = np.arange(n) < n // 2
    c = np.full((n, K), 0.1 / (K - 1))
    c[np.arange(n), wrong] = 0.9
    return dict(a=stream(first), b=stream(~first), c=c), labels


@pytest.fixture
def dumps(tmp_path):
    out = {}
    for split, seed in (('val', 0), ('test', 1)):
        streams, labels = complementary_streams(seed=seed)
        out[split] = [write_dump(tmp_path / f'{split}_{name}.pkl', s, labels)
                      for name, s in streams.items()]
        out[f'{split}_arrays'] = (np.stack(list(streams.values())), labels)
    return out


def test_dumps_load_in_sample_order_and_metrics_match_mmaction(dumps):
    scores, labels = tool.load_dumps(dumps['test'])
    ref_scores, ref_labels = dumps['test_arrays']
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)
    np.testing.assert_array_equal(labels, ref_labels)
    fused = tool.fuse(scores, [1, 3, 0])
    np.testing.assert_allclose(fused, (scores[0] + 3 * scores[1]) / 4)
    for s in list(scores) + [fused]:
        m = tool.fusion_metrics(s, labels, (1, 2))
        assert [m['per_instance_top1'], m['per_instance_top2']] == pytest.approx(
            top_k_accuracy(list(s), list(labels), (1, 2)))
        per_class = [np.mean(s[labels == c].argmax(1) == c) for c in np.unique(labels)]
        assert m['per_class_top1'] == pytest.approx(np.mean(per_class))


def test_fit_finds_the_complementary_streams_and_drops_the_wrong_one(dumps):
    scores, labels = tool.load_dumps(dumps['val'])
    assert max(tool.fusion_metrics(s, labels)['per_instance_top1'] for s in scores) <= 0.5
    weights, fit = tool.fit_weights(scores, labels, step=0.1)
    assert weights.sum() == pytest.approx(1)
    assert weights[2] == 0 and weights[0] > 0 and weights[1] > 0
    assert fit['per_instance_top1'] == 1.0
    grid = tool.simplex_grid(3, 0.1)
    assert len(grid) == 66 and np.allclose(grid.sum(1), 1)


def test_cli_fits_on_validation_applies_to_test_and_writes_a_head_checkpoint(dumps, tmp_path):
    out, ckpt = tmp_path / 'fusion.json', tmp_path / 'late.pth'
    proc = subprocess.run(
        [sys.executable, str(TOOL), *dumps['test'], '--names', 'rgb_handarm', 'rgb_tube',
         'heatmap', '--fit', '--fit-on', *dumps['val'], '--step', '0.1', '--out', str(out),
         '--save-checkpoint', str(ckpt)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'per_instance_top1' in proc.stdout and 'per_class_top1' in proc.stdout
    assert 'model.fusion_head.weights.heatmap=0.0000' in proc.stdout
    report = json.loads(out.read_text())
    assert report['fitted_on'] == dumps['val']
    weights = [report['weights'][n] for n in ('rgb_handarm', 'rgb_tube', 'heatmap')]
    scores, labels = dumps['test_arrays']
    assert report['metrics']['fused'] == pytest.approx(
        tool.fusion_metrics(tool.fuse(scores, weights), labels))
    assert report['metrics']['fused']['per_instance_top1'] == 1.0
    state = torch.load(ckpt, weights_only=True)['state_dict']
    assert set(state) == {f'fusion_head.stream_weights.{n}'
                          for n in ('rgb_handarm', 'rgb_tube', 'heatmap')}
    assert [float(state[f'fusion_head.stream_weights.{n}'])
            for n in ('rgb_handarm', 'rgb_tube', 'heatmap')] == pytest.approx(weights)


def _cli(*args):
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True,
                          timeout=120)


def test_given_weights_and_clear_errors(dumps, tmp_path):
    report = tool.late_fusion(dumps['test'], weights=[1, 1, 0])
    assert list(report['metrics']) == ['test_a', 'test_b', 'test_c', 'fused']
    assert report['weights'] == dict(test_a=0.5, test_b=0.5, test_c=0.0)
    with pytest.raises(ValueError, match='2 --weights for 3 dumps'):
        tool.late_fusion(dumps['test'], weights=[1, 1])
    with pytest.raises(ValueError, match='must be distinct, .*; --fit-on needs --fit'):
        tool.late_fusion(dumps['test'], fit_on=dumps['val'], names=['a', 'a', 'b'])
    # a dump of another split: the labels disagree
    streams, labels = complementary_streams(seed=5)
    other = write_dump(tmp_path / 'other.pkl', streams['a'], labels)
    with pytest.raises(tool.DumpError, match='disagree on the label of sample'):
        tool.late_fusion([dumps['test'][0], other])
    proc = _cli(dumps['test'][0], str(tmp_path / 'missing.pkl'))
    assert proc.returncode == 2 and 'cannot read the score dump' in proc.stderr
    proc = _cli(*dumps['test'], '--weights', '1', '1')
    assert proc.returncode == 2 and 'error: 2 --weights for 3 dumps' in proc.stderr
