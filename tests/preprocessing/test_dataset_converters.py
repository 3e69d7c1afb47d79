"""WLASL / Slovo / NMFs-CSL converters on small annotation files in each dataset's layout."""
import importlib.util
import json
from pathlib import Path

import pytest
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.datasets import load_annotation_list
from signmae_mm.preprocessing import (check_videos, class_counts, convert_nmfs_csl, convert_slovo,
                                      convert_wlasl, write_converted)
from signmae_mm.preprocessing.dataset_converters import DatasetFormatError

REPO = Path(__file__).resolve().parents[2]


def _instance(video_id, split, start=1, end=-1, signer=1):
    # every key of a WLASL_v0.3.json instance
    return dict(bbox=[385, 37, 885, 720], fps=25, frame_end=end, frame_start=start,
                instance_id=0, signer_id=signer, source='aslbrick', split=split,
                url=f'http://example.org/{video_id}.mp4', variation_id=0, video_id=video_id)


WLASL = [
    dict(gloss='book', instances=[_instance('69241', 'train'), _instance('07069', 'val'),
                                  _instance('07070', 'test', 5, 40)]),
    dict(gloss='drink', instances=[_instance('69302', 'train'), _instance('65539', 'test')]),
    dict(gloss='computer', instances=[_instance('12311', 'train')]),
]


def _touch(root: Path, names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b'')


def _dataset(ann_file):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(dict(type='SignVideoDataset', ann_file=str(ann_file),
                                   data_prefix=dict(video='', sign_ann=''), pipeline=[]))


def test_wlasl_subsets_splits_and_frame_ranges(tmp_path):
    ann = tmp_path / 'WLASL_v0.3.json'
    ann.write_text(json.dumps(WLASL))
    wlasl2, wlasl3 = convert_wlasl(str(ann), subsets=(2, 3))
    assert wlasl2.name == 'wlasl2' and wlasl2.classes == ['book', 'drink']
    assert {s: len(e) for s, e in wlasl2.splits.items()} == dict(train=2, val=1, test=2)
    assert wlasl3.classes[2] == 'computer' and len(wlasl3.splits['train']) == 3
    test = {e['video_id']: e for e in wlasl2.splits['test']}
    assert test['07070'] == dict(
        filename='07070.mp4', label=0, sign_ann='07070.npz', split='test', gloss='book',
        video_id='07070', frame_start=4, frame_end=40, signer_id=1, instance_id=0,
        variation_id=0, source='aslbrick', fps=25, bbox=[385, 37, 885, 720])
    assert test['65539']['label'] == 1 and test['65539']['frame_start'] == 0
    assert test['65539']['frame_end'] is None
    assert any('1 instances cover only part' in n for n in wlasl2.notes)
    assert class_counts(wlasl3)['train'].tolist() == [1, 1, 1]

    # missing videos are listed and left out; the lists load in SignVideoDataset
    videos = tmp_path / 'videos'
    _touch(videos, ['69241.mp4', '07069.mp4', '07070.mp4', '69302.mp4'])
    assert check_videos(wlasl2, str(videos)) == ['65539.mp4']
    paths = write_converted(wlasl2, str(tmp_path / 'out'))
    assert Path(paths['missing']).read_text() == '65539.mp4\n'
    ds = _dataset(paths['test'])
    assert len(ds) == 1 and ds.metainfo['classes'] == ['book', 'drink']
    assert ds.get_data_info(0)['frame_start'] == 4
    meta, _ = load_annotation_list(paths['train'])
    assert meta['dataset'] == 'WLASL' and meta['subset'] == 2 and meta['num_classes'] == 2
    lines = Path(paths['class_counts']).read_text().splitlines()
    assert lines[0] == 'label,class,train,val,test' and lines[1] == '0,book,1,1,1'


def test_wlasl_errors_name_the_place(tmp_path):
    bad = [dict(gloss='book', instances=[_instance('1', 'training')])]
    (tmp_path / 'a.json').write_text(json.dumps(bad))
    with pytest.raises(DatasetFormatError, match=r'a.json, gloss 0 \(book\), instance 0: '
                       r"split 'training'"):
        convert_wlasl(str(tmp_path / 'a.json'), subsets=(1, ))
    (tmp_path / 'b.json').write_text(json.dumps(WLASL))
    with pytest.raises(DatasetFormatError, match='subset 100 needs 100 glosses, the file has 3'):
        convert_wlasl(str(tmp_path / 'b.json'), subsets=(100, ))
    (tmp_path / 'c.json').write_text('{"not": "a list"}')
    with pytest.raises(DatasetFormatError, match='c.json: expected a JSON list'):
        convert_wlasl(str(tmp_path / 'c.json'))


SLOVO_ROWS = [
    # attachment_id, user_id, width, height, length, text, train, begin, end
    ('de81cc1c', 'u185', 1920, 1080, '156.0', 'привет', 'True', 36, 112),
    ('3c0cec5a', 'u185', 1920, 1080, '90.0', 'no_event', 'True', 0, 90),
    ('a1b2c3d4', 'u007', 1080, 1920, '120.0', 'спасибо', 'False', 20, 100),
    ('ffee0011', 'u007', 1080, 1920, '88.0', 'привет', 'False', 10, 70),
]


def _slovo_csv(path: Path, rows=SLOVO_ROWS, header=None) -> Path:
    header = header or ['attachment_id', 'user_id', 'width', 'height', 'length', 'text',
                        'train', 'begin', 'end']
    path.write_text('\n'.join(['\t'.join(header)] +
                              ['\t'.join(str(v) for v in r) for r in rows]) + '\n',
                    encoding='utf-8')
    return path


def test_slovo_table(tmp_path):
    csv_file = _slovo_csv(tmp_path / 'annotations.csv')
    ds = convert_slovo(str(csv_file))
    assert ds.classes == sorted(['привет', 'no_event', 'спасибо'])
    assert ds.metainfo['no_event_class'] == ds.classes.index('no_event')
    (first, second) = ds.splits['train']
    assert first['filename'] == 'train/de81cc1c.mp4' and first['sign_ann'] == 'train/de81cc1c.npz'
    assert first['label'] == ds.classes.index('привет') and first['signer_id'] == 'u185'
    assert (first['frame_start'], first['frame_end']) == (36, 112)
    assert [e['filename'] for e in ds.splits['test']] == [
        'test/a1b2c3d4.mp4', 'test/ffee0011.mp4']
    dropped = convert_slovo(str(csv_file), drop_no_event=True)
    assert 'no_event' not in dropped.classes and len(dropped.splits['train']) == 1
    paths = write_converted(ds, str(tmp_path / 'out'))
    assert len(_dataset(paths['test'])) == 2
    meta, entries = load_annotation_list(paths['train'])
    assert meta['classes'] == ds.classes and entries[0]['text'] == 'привет'


def test_slovo_errors(tmp_path):
    with pytest.raises(DatasetFormatError, match=r"columns \['begin', 'end'\] missing"):
        convert_slovo(str(_slovo_csv(tmp_path / 'a.csv', [r[:7] for r in SLOVO_ROWS],
                                     ['attachment_id', 'user_id', 'width', 'height', 'length',
                                      'text', 'train'])))
    rows = list(SLOVO_ROWS)
    rows[2] = rows[2][:6] + ('maybe', ) + rows[2][7:]
    with pytest.raises(DatasetFormatError, match=r'b.csv, line 4: "train" must be True or '
                       'False'):
        convert_slovo(str(_slovo_csv(tmp_path / 'b.csv', rows)))


def test_nmfs_csl_lists(tmp_path):
    train = tmp_path / 'trainlist01.txt'
    test = tmp_path / 'testlist01.txt'
    train.write_text('000/P01_s1_00_0_color.mp4 1\n000/P02_s1_00_0_color.mp4 1\n'
                     '612/P01_s1_12_0_color.mp4 613\n')  # 1-based labels
    test.write_text('000/P09_s3_00_1_color.mp4\n612/P09_s3_12_1_color.mp4\n')
    ds = convert_nmfs_csl(str(train), str(test))
    assert len(ds.classes) == 613 and ds.classes[0] == '000' and ds.classes[612] == '612'
    assert [e['label'] for e in ds.splits['train']] == [0, 0, 612]
    assert [e['label'] for e in ds.splits['test']] == [0, 612]
    assert [e['confusing'] for e in ds.splits['test']] == [True, False]
    assert ds.splits['test'][0]['sign_ann'] == '000/P09_s3_00_1_color.npz'
    assert any('shifted' in n for n in ds.notes)
    assert class_counts(ds)['train'][[0, 612]].tolist() == [2, 1]
    train.write_text('000/a.mp4 0\n001/b.mp4 5\n')
    with pytest.raises(DatasetFormatError, match='labels disagree with the class folders'):
        convert_nmfs_csl(str(train), str(test))
    train.write_text('000/a.mp4 0\n')
    test.write_text('a.mp4\n')
    with pytest.raises(DatasetFormatError, match=r'testlist01.txt, line 1: .*class folder'):
        convert_nmfs_csl(str(train), str(test))


def test_convert_datasets_tool(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('convert_datasets',
                                                  REPO / 'tools' / 'convert_datasets.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    ann = tmp_path / 'WLASL_v0.3.json'
    ann.write_text(json.dumps(WLASL))
    videos = tmp_path / 'videos'
    _touch(videos, ['69241.mp4', '07069.mp4', '07070.mp4', '69302.mp4', '65539.mp4'])
    out = tmp_path / 'ann'
    assert tool.main(['wlasl', str(ann), '--video-root', str(videos), '--out-dir', str(out),
                      '--subsets', '2', '3']) == 0
    text = capsys.readouterr().out
    assert 'wlasl3: 3 classes' in text and 'missing under' in text  # 12311.mp4 is absent
    # counted over the written lists: computer's only video is missing
    assert 'train: 2 samples, 2/3 classes present' in text
    assert 'no samples: 1 classes (computer)' in text
    assert (out / 'wlasl3_missing_videos.txt').read_text() == '12311.mp4\n'
    assert 'every video found' in text  # wlasl2 has all of its videos
    assert sorted(p.name for p in out.glob('wlasl2_*.json')) == [
        'wlasl2_test.json', 'wlasl2_train.json', 'wlasl2_val.json']
    csv_file = _slovo_csv(tmp_path / 'annotations.csv')
    assert tool.main(['slovo', str(csv_file), '--out-dir', str(out)]) == 0
    assert 'videos not checked' in capsys.readouterr().out
    assert tool.main(['slovo', str(tmp_path / 'missing.csv'), '--out-dir', str(out)]) == 2
    assert 'missing.csv' in capsys.readouterr().err
