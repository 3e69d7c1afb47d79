"""Sign retrieval metrics against hand-computed values (ties included), and the registered
metric through mmengine's Evaluator on mmaction2's data samples."""
import math

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401  (registers the metric)
from signmae_mm.evaluation import SignRetrievalMetric, retrieval_metrics, sign_ranks

# 4 queries x 4 signs; query q's sign is q
SCORES = np.array([
    [0.9, 0.1, 0.2, 0.3],  # best: rank 1
    [0.5, 0.4, 0.6, 0.1],  # two signs above: rank 3
    [0.7, 0.7, 0.7, 0.7],  # all tied: the 3 others count against it, rank 4
    [0.2, 0.8, 0.1, 0.8],  # tied with one: rank 2
])
RANKS = [1, 3, 4, 2]


def _expected(ks=(1, 2, 3, 5)):
    out = {f'R{k}': 100 * np.mean([r <= k for r in RANKS]) for k in ks}
    out['MRR'] = 100 * (1 + 1 / 3 + 1 / 4 + 1 / 2) / 4
    out['DCG'] = 100 * (1 + 1 / 2 + 1 / math.log2(5) + 1 / math.log2(3)) / 4
    return out


def test_ranks_and_metrics_by_hand():
    assert sign_ranks(SCORES, [0, 1, 2, 3], [0, 1, 2, 3]).tolist() == RANKS
    got = retrieval_metrics(SCORES, [0, 1, 2, 3], [0, 1, 2, 3], ks=(1, 2, 3, 5))
    assert list(got) == ['R1', 'R2', 'R3', 'R5', 'MRR', 'DCG']
    for key, value in _expected().items():
        assert got[key] == pytest.approx(value), key
    assert (got['R1'], got['R2'], got['R3'], got['R5']) == (25, 50, 75, 100)
    assert got['DCG'] == pytest.approx(64.0402, abs=1e-4)  # (1 + .5 + .4307 + .6309) / 4


def test_columns_are_named_by_sign_labels():
    # the same gallery with its columns in another order and other label numbers
    order = [2, 0, 3, 1]
    signs = [10, 20, 30, 40]
    got = retrieval_metrics(SCORES[:, order], [10 * (q + 1) for q in range(4)],
                            [signs[j] for j in order], ks=(1, 2, 3, 5))
    assert got == pytest.approx(_expected())


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match=r'query signs \[7\] are not in the gallery'):
        retrieval_metrics(SCORES, [0, 1, 2, 7], [0, 1, 2, 3])
    with pytest.raises(ValueError, match='finite'):
        retrieval_metrics(np.where(SCORES > .8, np.nan, SCORES), [0, 1, 2, 3], [0, 1, 2, 3])
    with pytest.raises(ValueError, match='repeat'):
        retrieval_metrics(SCORES, [0, 1, 2, 3], [0, 1, 2, 2])
    with pytest.raises(ValueError, match=r'\(Q, S\)'):
        retrieval_metrics(SCORES[:, :3], [0, 1, 2, 3], [0, 1, 2, 3])
    with pytest.raises(ValueError, match="got 'mAP'"):
        SignRetrievalMetric(metric_list=('R1', 'mAP'))


def _samples(field: str):
    samples = []
    for q, row in enumerate(SCORES):
        sample = ActionDataSample().set_gt_label(q)
        if field == 'pred_score':
            sample.set_pred_score(torch.tensor(row))
        else:
            sample.set_field(torch.tensor(row), field)
        samples.append(sample)
    return samples


@pytest.mark.parametrize('field', ['gallery_scores', 'pred_score'])
def test_metric_through_the_evaluator(field):
    init_default_scope('mmaction')
    evaluator = Evaluator(dict(type='SignRetrievalMetric', metric_list=('R1', 'R2', 'MRR', 'DCG')))
    samples = _samples(field)
    evaluator.process(samples[:2])  # two batches, as a test loop feeds it
    evaluator.process(samples[2:])
    got = evaluator.evaluate(len(samples))
    expected = _expected()
    assert list(got) == ['retrieval/R1', 'retrieval/R2', 'retrieval/MRR', 'retrieval/DCG']
    for key in ('R1', 'R2', 'MRR', 'DCG'):
        assert got[f'retrieval/{key}'] == pytest.approx(expected[key]), key


def test_metric_with_sign_labels_and_prefix():
    from mmaction.registry import METRICS
    metric = METRICS.build(dict(type='SignRetrievalMetric', sign_labels=[5, 6, 7, 8],
                                prefix='gallery'))
    samples = [dict(gallery_scores=torch.tensor(row), gt_label=torch.tensor([q + 5]))
               for q, row in enumerate(SCORES)]
    metric.process({}, samples)
    got = metric.evaluate(len(samples))
    assert got['gallery/R1'] == 25 and got['gallery/R5'] == 100
    assert got['gallery/MRR'] == pytest.approx(_expected()['MRR'])
