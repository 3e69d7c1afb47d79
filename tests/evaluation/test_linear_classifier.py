"""The linear read-out shared by the pixel baseline and the linear probe, and its report."""
import json

import numpy as np
import pytest

import signmae_mm  # noqa: F401  (compat fixes before mmaction)
from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import classify_features, write_report


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    return write_demo_dataset(str(tmp_path_factory.mktemp('classifier_demo')), num_classes=10,
                              videos_per_class=2, num_frames=4, size=32, seed=0)


def test_classify_features_on_any_features(demo):
    # well separated Gaussian blobs of 10 classes; the pairs come from the demo vocabulary
    rng = np.random.default_rng(0)
    means = 3 * rng.standard_normal((10, 32))
    y_train, y_test = np.repeat(np.arange(10), 5), np.repeat(np.arange(10), 2)
    x_train = means[y_train] + rng.standard_normal((50, 32))
    x_test = means[y_test] + rng.standard_normal((20, 32))
    res = classify_features(x_train, y_train, x_test, y_test,
                            ann_files=[demo.ann_files['test']])
    assert res['acc/per_instance_top1'] == 1.0 and res['acc/right_pair'] == 1.0
    assert res['acc/shape_pairs_top1'] == 1.0 and res['acc/motion_pairs_top1'] == 1.0
    assert (res['num_train'], res['num_test'], res['feature_dim']) == (50, 20, 32)
    assert set(res['seconds']) == {'fit'}
    assert 'acc/right_pair' not in classify_features(x_train, y_train, x_test, y_test)
    with pytest.raises(ValueError, match='features'):
        classify_features(x_train, y_train, x_test[:, :8], y_test)


def test_report_prints_the_accuracies_and_writes_json(tmp_path, capsys):
    out = tmp_path / 'sub' / 'r.json'
    write_report({'acc/per_instance_top1': 0.25, 'num_test': 4}, 'title:', str(out))
    printed = capsys.readouterr().out
    assert printed.startswith('title:\n  acc/per_instance_top1') and '25.00' in printed
    assert json.loads(out.read_text()) == {'acc/per_instance_top1': 0.25, 'num_test': 4}
    assert [p.name for p in out.parent.iterdir()] == ['r.json']  # written atomically
