"""SignAccMetric: per-instance top-k and per-class top-1 over the classes present in the split."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

import signmae_mm  # noqa: F401
from mmaction.evaluation import AccMetric, mean_class_accuracy
from mmaction.registry import METRICS
from mmaction.structures import ActionDataSample
from signmae_mm.evaluation import SignAccMetric, per_class_top1

NUM_CLASSES = 6


def _scores(preds, num_classes=NUM_CLASSES):
    """One-hot-ish scores whose arg-max is ``preds`` and whose runner-up is ``pred + 1``."""
    scores = np.full((len(preds), num_classes), 0.01, np.float32)
    for i, p in enumerate(preds):
        scores[i, p] = 0.9
        scores[i, (p + 1) % num_classes] = 0.05
    return scores


def _samples(scores, labels):
    return [
        ActionDataSample().set_gt_label(torch.tensor([label])).set_pred_score(
            torch.as_tensor(score)) for score, label in zip(scores, labels)
    ]


def _dicts(scores, labels):
    return [sample.to_dict() for sample in _samples(scores, labels)]


# Classes 0, 1, 2 are present; class 4 is predicted but absent; 3 and 5 are neither.
LABELS = [0, 0, 0, 0, 1, 1, 2, 2]
PREDS = [0, 0, 4, 4, 1, 1, 2, 4]


def test_per_class_top1_averages_over_present_classes_only():
    scores = _scores(PREDS)
    ours = per_class_top1(scores, LABELS)
    # class 0: 2/4, class 1: 2/2, class 2: 1/2
    assert ours == pytest.approx((2 / 4 + 1 + 1 / 2) / 3)
    # mmaction2 also averages over class 4 (predicted, absent) with accuracy 0.
    theirs = mean_class_accuracy(list(scores), LABELS)
    assert theirs == pytest.approx((2 / 4 + 1 + 1 / 2 + 0) / 4)
    assert ours > theirs
    # Without predictions outside the present classes the two agree.
    clean = _scores([0, 0, 0, 1, 1, 2, 2, 2])
    assert per_class_top1(clean, LABELS) == pytest.approx(mean_class_accuracy(list(clean), LABELS))


def test_per_class_top1_is_not_per_instance_on_unbalanced_classes():
    scores = _scores(PREDS)
    per_instance = np.mean(np.argmax(scores, 1) == np.array(LABELS))
    assert per_instance == pytest.approx(5 / 8)
    assert per_class_top1(scores, LABELS) != pytest.approx(per_instance)


def test_per_class_top1_rejects_bad_input():
    with pytest.raises(ValueError):
        per_class_top1(np.zeros((3, 4)), [0, 1])
    with pytest.raises(ValueError):
        per_class_top1(np.zeros((0, 4)), [])


def test_metric_through_the_registry_and_an_evaluator():
    metric = METRICS.build(dict(type='SignAccMetric'))
    assert isinstance(metric, SignAccMetric) and isinstance(metric, AccMetric)
    scores = _scores(PREDS)
    evaluator = Evaluator(metric)
    evaluator.process(_samples(scores[:5], LABELS[:5]))  # two batches
    evaluator.process(_samples(scores[5:], LABELS[5:]))
    results = evaluator.evaluate(len(LABELS))
    assert set(results) == {'acc/per_instance_top1', 'acc/per_instance_top5',
                            'acc/per_class_top1'}
    assert results['acc/per_instance_top1'] == pytest.approx(5 / 8)
    assert results['acc/per_instance_top5'] == pytest.approx(
        np.mean([label in np.argsort(s)[-5:] for s, label in zip(scores, LABELS)]))
    assert results['acc/per_class_top1'] == pytest.approx(2 / 3)

    # mmaction2's AccMetric on the same samples: same top-k, lower mean class accuracy.
    stock = Evaluator(METRICS.build(dict(type='AccMetric')))
    stock.process(_samples(scores, LABELS))
    stock_results = stock.evaluate(len(LABELS))
    assert stock_results['acc/top1'] == results['acc/per_instance_top1']
    assert stock_results['acc/top5'] == results['acc/per_instance_top5']
    assert stock_results['acc/mean1'] == pytest.approx(0.5)
    assert stock_results['acc/mean1'] < results['acc/per_class_top1']


def test_metric_options_and_metric_list():
    metric = SignAccMetric(metric_list='top_k_accuracy',
                           metric_options=dict(top_k_accuracy=dict(topk=(1, 2, 3))))
    metric.process(None, _dicts(_scores(PREDS), LABELS))
    results = metric.evaluate(len(LABELS))
    assert list(results) == ['acc/per_instance_top1', 'acc/per_instance_top2',
                             'acc/per_instance_top3']
    metric = SignAccMetric(metric_list=('mean_class_accuracy', ), prefix='test')
    metric.process(None, _dicts(_scores(PREDS), LABELS))
    assert list(metric.evaluate(len(LABELS))) == ['test/per_class_top1']
