"""compare_results: score dumps and baseline reports in one table, per pair kind."""
import json
import pickle

import numpy as np
import pytest

from signmae_mm.evaluation import compare_results, format_comparison


def _dump(path, scores, labels):
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_score=np.asarray(s, np.float32), gt_label=np.asarray([l]))
                     for s, l in zip(scores, labels)], f)
    return str(path)


def test_dumps_and_reports_in_one_table(tmp_path):
    # 4 classes in two pairs (a shape pair and a motion pair), one test video each
    ann = tmp_path / 'test.json'
    ann.write_text(json.dumps(dict(metainfo=dict(classes=['a', 'b', 'c', 'd']), data_list=[])))
    (tmp_path / 'vocabulary.json').write_text(json.dumps(dict(
        classes=['a', 'b', 'c', 'd'],
        pairs=[dict(first='a', second='b', kind='shape'),
               dict(first='c', second='d', kind='motion')])))
    labels = [0, 1, 2, 3]
    right = _dump(tmp_path / 'right.pkl', np.eye(4), labels)
    twin = _dump(tmp_path / 'twin.pkl', np.eye(4)[[1, 0, 2, 3]], labels)  # a <-> b mixed up
    report = tmp_path / 'baseline.json'
    report.write_text(json.dumps({'acc/per_instance_top1': 0.25, 'num_test': 4}))
    rows = compare_results([('right', right), ('twin', twin), ('base', str(report))], str(ann))
    assert rows['right']['acc/per_instance_top1'] == 1.0
    assert rows['twin']['acc/shape_pairs_top1'] == 0.0
    assert rows['twin']['acc/motion_pairs_top1'] == 1.0
    assert rows['twin']['acc/right_pair'] == 1.0
    assert rows['base'] == {'acc/per_instance_top1': 0.25}
    table = format_comparison(rows, 'title')
    lines = table.splitlines()
    assert lines[0] == 'title' and 'shape pairs' in lines[1] and 'motion pairs' in lines[1]
    assert lines[3].split()[1:3] == ['50.00%', '100.00%']
    assert lines[4].split()[1:3] == ['25.00%', '-']
    short = _dump(tmp_path / 'short.pkl', np.eye(4)[:3], labels[:3])
    with pytest.raises(ValueError, match='different numbers of samples'):
        compare_results([('right', right), ('short', short)], str(ann))
