"""Accuracy on fine-grained sign pairs, by hand."""
import numpy as np
import pytest

from signmae_mm.evaluation import pair_kind_accuracy


def test_pair_kind_accuracy_by_hand():
    classes = ['a0', 'a1', 'b0', 'b1', 'c', 'd']
    labels = np.array([0, 0, 1, 2, 2, 3, 4, 5])
    preds = np.array([0, 1, 1, 3, 2, 0, 4, 0])
    scores = np.full((8, 6), 0.1)
    scores[np.arange(8), preds] = 1.0
    pairs = [('shape', 0, 1), ('motion', 2, 3)]
    expected = {
        # labels 0, 0, 1 -> preds 0, 1, 1: 2 of 3 right
        'acc/shape_pairs_top1': 2 / 3,
        # labels 2, 2, 3 -> preds 3, 2, 0: 1 of 3 right
        'acc/motion_pairs_top1': 1 / 3,
        # the 6 paired samples: all but the last (3 -> 0) land in their pair; 4, 5 unpaired
        'acc/right_pair': 5 / 6,
    }
    assert pair_kind_accuracy(scores, labels, pairs) == pytest.approx(expected)
    as_vocabulary = [dict(kind='shape', first='a0', second='a1'),
                     dict(kind='motion', first='b0', second='b1')]
    assert pair_kind_accuracy(scores, labels, as_vocabulary, classes) == pytest.approx(expected)
    assert pair_kind_accuracy(scores, labels, pairs, prefix='m') == pytest.approx(
        {k.replace('acc/', 'm/'): v for k, v in expected.items()})
    # a kind whose classes have no sample is left out
    assert 'acc/shape_pairs_top1' not in pair_kind_accuracy(scores[3:], labels[3:], pairs)
    with pytest.raises(ValueError, match="'zz'"):
        pair_kind_accuracy(scores, labels, [('shape', 'a0', 'zz')], classes)
    with pytest.raises(ValueError, match='outside'):
        pair_kind_accuracy(scores, labels, [('shape', 0, 6)])
