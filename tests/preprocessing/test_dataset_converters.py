"""WLASL / Slovo / NMFs-CSL converters on small annotation files in each dataset's layout, and
the folder converter on small real videos."""
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.preprocessing import (check_videos, class_counts, convert_folder, convert_nmfs_csl,
                                      convert_slovo, convert_wlasl, write_converted)
from signmae_mm.preprocessing.dataset_converters import DatasetFormatError
from signmae_mm.structures import load_annotation_list
from signmae_mm.testing import moving_square_frames, write_video

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


def _dataset(ann_file, pipeline=()):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(dict(type='SignVideoDataset', ann_file=str(ann_file),
                                   data_prefix=dict(video='', sign_ann=''),
                                   pipeline=list(pipeline)))


def _tool(*args) -> subprocess.CompletedProcess:
    """``tools/convert_datasets.py`` as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, str(REPO / 'tools' / 'convert_datasets.py')] +
                          [str(a) for a in args], env=env, capture_output=True, text=True,
                          timeout=300)


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
    # the start kit's videos/ are cut per instance: the ranges are not applied by default
    assert meta['use_frame_range'] is False and ds.use_frame_range is False
    assert 'frame_range' not in ds.get_data_info(0)
    assert Path(paths['classes']).read_text() == 'book\ndrink\n'
    raw = convert_wlasl(str(ann), subsets=(2, ), raw_videos=True)[0]
    assert raw.metainfo['use_frame_range'] is True
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
    # a Slovo video holds its sign between begin and end: the dataset samples inside them
    test = _dataset(paths['test'], [dict(type='SampleSignFrames', clip_len=16)])
    assert len(test) == 2 and test.get_data_info(0)['frame_range'] == (20, 100)
    with pytest.raises(ValueError, match='SampleSignFrames'):
        _dataset(paths['test'], [dict(type='SampleFrames', clip_len=16)])
    meta, entries = load_annotation_list(paths['train'])
    assert meta['classes'] == ds.classes and entries[0]['text'] == 'привет'
    assert meta['use_frame_range'] is True


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
    assert ds.metainfo['use_frame_range'] is False
    train.write_text('000/a.mp4 0\n001/b.mp4 5\n')
    with pytest.raises(DatasetFormatError, match='labels disagree with the class folders'):
        convert_nmfs_csl(str(train), str(test))
    train.write_text('000/a.mp4 0\n')
    test.write_text('a.mp4\n')
    with pytest.raises(DatasetFormatError, match=r'testlist01.txt, line 1: .*class folder'):
        convert_nmfs_csl(str(train), str(test))


def test_convert_datasets_tool(tmp_path):
    ann = tmp_path / 'WLASL_v0.3.json'
    ann.write_text(json.dumps(WLASL))
    videos = tmp_path / 'videos'
    _touch(videos, ['69241.mp4', '07069.mp4', '07070.mp4', '69302.mp4', '65539.mp4'])
    out = tmp_path / 'ann'
    proc = _tool('wlasl', ann, '--video-root', videos, '--out-dir', out, '--subsets', '2', '3')
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout
    assert 'wlasl3: 3 classes' in text and 'missing under' in text  # 12311.mp4 is absent
    # counted over the written lists: computer's only video is missing
    assert 'train: 2 samples, 2/3 classes present' in text
    assert 'no samples: 1 classes (computer)' in text
    assert (out / 'wlasl3_missing_videos.txt').read_text() == '12311.mp4\n'
    assert 'every video found' in text  # wlasl2 has all of its videos
    assert sorted(p.name for p in out.glob('wlasl2_*.json')) == [
        'wlasl2_test.json', 'wlasl2_train.json', 'wlasl2_val.json']
    assert (out / 'wlasl3_classes.txt').read_text() == 'book\ndrink\ncomputer\n'
    assert 'frame ranges: not used' in text and '--raw-videos' in text
    proc = _tool('wlasl', ann, '--out-dir', out, '--subsets', '2', '--raw-videos')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'frame ranges: used (use_frame_range=True: --raw-videos' in proc.stdout
    assert load_annotation_list(str(out / 'wlasl2_train.json'))[0]['use_frame_range'] is True
    csv_file = _slovo_csv(tmp_path / 'annotations.csv')
    proc = _tool('slovo', csv_file, '--out-dir', out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'videos not checked' in proc.stdout
    assert 'frame ranges: used' in proc.stdout and 'SampleSignFrames' in proc.stdout
    proc = _tool('slovo', tmp_path / 'missing.csv', '--out-dir', out)
    assert proc.returncode == 2 and 'missing.csv' in proc.stderr


# ----------------------------------------------------------------------------------- folder
@pytest.fixture(scope='module')
def clip(tmp_path_factory) -> Path:
    """One small real video, copied wherever a test needs a readable clip."""
    return write_video(tmp_path_factory.mktemp('clip') / 'clip.mp4',
                       moving_square_frames(num_frames=8, size=32))


def _clips(root: Path, clip: Path, names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip, root / name)


def _splits(ds):
    return {e['filename']: split for split, entries in ds.splits.items() for e in entries}


# per gloss: its number of clips; the rule gives (train, val, test) per class
SIZES = dict(hello=10, bye=3, thanks=2, yes=1)
EXPECTED = dict(hello=(6, 2, 2), bye=(1, 1, 1), thanks=(1, 0, 1), yes=(1, 0, 0))


def test_folder_of_gloss_folders_split_by_clip(tmp_path, clip):
    root = tmp_path / 'signs'
    names = [f'{g}/{g}_{i:02d}.mp4' for g, n in SIZES.items() for i in range(n)]
    _clips(root, clip, names)
    (root / 'hello' / 'hello_00.mp4').rename(root / 'hello' / 'hello_00.MP4')  # any case
    _clips(root, clip, ['.cache/x.mp4', 'hello/.hidden.mp4'])  # hidden: ignored
    (root / 'hello' / 'notes.txt').write_text('not a video')
    (root / 'empty').mkdir()
    ds = convert_folder(str(root), seed=3)
    assert ds.name == 'folder' and ds.classes == ['bye', 'hello', 'thanks', 'yes']
    assert ds.metainfo['dataset'] == 'folder' and ds.metainfo['use_frame_range'] is False
    assert ds.metainfo['split_by'] == 'clip' and ds.metainfo['split_seed'] == 3
    assert 'seed 3' in ds.metainfo['split_rule'] and 'max(1, round(n*0.15))' in \
        ds.metainfo['split_rule']
    assert any('1 folders without videos' in n and 'empty' in n for n in ds.notes)
    # stratified: each class split by the documented rule
    for gloss, sizes in EXPECTED.items():
        k = ds.classes.index(gloss)
        assert tuple(int(class_counts(ds)[s][k]) for s in ('train', 'val', 'test')) == sizes
    entry = next(e for e in ds.splits['train'] + ds.splits['val'] + ds.splits['test']
                 if e['filename'] == 'hello/hello_00.MP4')
    assert entry == dict(filename='hello/hello_00.MP4', label=1, sign_ann='hello/hello_00.npz',
                         gloss='hello', split=entry['split'])
    assert all(e['split'] == split for split, es in ds.splits.items() for e in es)
    assert len(_splits(ds)) == sum(SIZES.values())

    # reproducible: the same seed gives the same split whatever order the files were made in
    other = tmp_path / 'again'
    _clips(other, clip, reversed(names))
    (other / 'hello' / 'hello_00.mp4').rename(other / 'hello' / 'hello_00.MP4')
    assert _splits(convert_folder(str(other), seed=3)) == _splits(ds)
    assert _splits(convert_folder(str(root), seed=4)) != _splits(ds)
    # ratios: no val share, no val list
    no_val = convert_folder(str(root), ratios=(0.8, 0, 0.2))
    assert list(no_val.splits) == ['train', 'test']

    paths = write_converted(ds, str(tmp_path / 'out'))
    assert Path(paths['classes']).read_text().splitlines() == ds.classes
    assert 'unreadable' not in paths and 'missing' not in paths
    assert len(_dataset(paths['train'])) == 6 + 1 + 1 + 1


def test_folder_unreadable_videos_are_reported_and_dropped(tmp_path, clip):
    root = tmp_path / 'signs'
    _clips(root, clip, ['a/1.mp4', 'a/2.mp4', 'b/1.mp4', 'b/2.mp4'])
    (root / 'a' / 'broken.mp4').write_bytes(b'this is no video' * 64)
    (root / 'b' / 'empty.webm').write_bytes(b'')
    ds = convert_folder(str(root))
    assert ds.unreadable == ['a/broken.mp4', 'b/empty.webm']
    assert sorted(_splits(ds)) == ['a/1.mp4', 'a/2.mp4', 'b/1.mp4', 'b/2.mp4']
    assert any(n.startswith('first unreadable video: a/broken.mp4') for n in ds.notes)
    paths = write_converted(ds, str(tmp_path / 'out'))
    assert Path(paths['unreadable']).read_text() == 'a/broken.mp4\nb/empty.webm\n'


def test_folder_with_split_folders(tmp_path, clip):
    root = tmp_path / 'signs'
    _clips(root, clip, ['train/b/1.mp4', 'train/a/1.avi', 'train/a/2.mp4', 'test/c/1.mkv',
                        'test/a/3.mov'])
    ds = convert_folder(str(root), split_by='signer', signer_regex=r'(?P<signer>\d)')
    assert ds.classes == ['a', 'b', 'c'] and list(ds.splits) == ['train', 'test']
    assert _splits(ds) == {'train/a/1.avi': 'train', 'train/a/2.mp4': 'train',
                           'train/b/1.mp4': 'train', 'test/a/3.mov': 'test',
                           'test/c/1.mkv': 'test'}
    assert ds.metainfo['split_by'] == 'folders' and 'given by' in ds.metainfo['split_rule']
    assert ds.splits['test'][0] == dict(filename='test/a/3.mov', label=0,
                                        sign_ann='test/a/3.npz', gloss='a', split='test',
                                        signer_id='3')
    assert any('split_by, ratios and seed not used' in n for n in ds.notes)
    # top-level folders that are not only splits are glosses
    _clips(root, clip, ['other/1.mp4'])
    assert convert_folder(str(root)).classes == ['other', 'test', 'train']
    shutil.rmtree(root / 'other')
    _clips(root, clip, ['train/loose.mp4'])
    with pytest.raises(DatasetFormatError, match=r'signs/train: 1 videos directly in the split '
                       'folder'):
        convert_folder(str(root))
    (tmp_path / 'nothing' / 'a').mkdir(parents=True)
    with pytest.raises(DatasetFormatError, match='nothing: no videos'):
        convert_folder(str(tmp_path / 'nothing'))


def test_folder_list_file(tmp_path, clip):
    root = tmp_path / 'signs'
    _clips(root, clip, ['v/1.mp4', 'v/2.mp4', 'v/3.mp4', 'v/4.mp4'])
    lst = tmp_path / 'list.txt'
    lst.write_text('# path label split\nv/1.mp4 hello train\nv/2.mp4 bye train\n\n'
                   'v/3.mp4 hello test\nv/gone.mp4 bye test\n./v/4.mp4 bye test\n')
    ds = convert_folder(str(root), str(lst), name='mine')
    assert ds.name == 'mine' and ds.classes == ['bye', 'hello'] and ds.missing == ['v/gone.mp4']
    assert _splits(ds) == {'v/1.mp4': 'train', 'v/2.mp4': 'train', 'v/3.mp4': 'test',
                           'v/4.mp4': 'test'}
    assert ds.metainfo['split_by'] == 'list' and list(ds.splits) == ['train', 'test']
    # integer labels name the classes by their numbers; no split column: split by clip
    lst.write_text('v/1.mp4 0\nv/2.mp4 2\nv/3.mp4 2\nv/4.mp4 0\n')
    ds = convert_folder(str(root), str(lst))
    assert ds.classes == ['0', '1', '2'] and ds.metainfo['split_by'] == 'clip'
    assert sorted((e['filename'], e['label'], e['gloss']) for es in ds.splits.values()
                  for e in es) == [('v/1.mp4', 0, '0'), ('v/2.mp4', 2, '2'),
                                   ('v/3.mp4', 2, '2'), ('v/4.mp4', 0, '0')]
    assert [len(es) for es in ds.splits.values()] == [2, 0, 2]  # n=2: 1 train, 1 test
    for text, message in [
        ('v/1.mp4 0\n# comment\nv/2.mp4 bye\n', r"list.txt, line 3: label 'bye' is a gloss name "
         'but the label of line 1 is an integer'),
        ('v/1.mp4 a train\nv/2.mp4 b\n', r'list.txt, line 2: no split column, but line 1 has '
         'one'),
        ('v/1.mp4 a training\n', r"list.txt, line 1: split 'training' is not one of"),
        ('v/1.mp4\n', r'list.txt, line 1: expected "<path> <label> \[split\]"'),
        ('v/1.mp4 a\nv/1.mp4 b\n', r'list.txt, line 2: v/1.mp4 is listed twice'),
    ]:
        lst.write_text(text)
        with pytest.raises(DatasetFormatError, match=message):
            convert_folder(str(root), str(lst))


def test_folder_split_by_signer_keeps_signers_whole(tmp_path, clip):
    root = tmp_path / 'signs'
    signers = [f'P{k:02d}' for k in range(10)]
    names = [f'{g}/{s}_{g}_{r}.mp4' for g in ('a', 'b', 'c') for s in signers for r in range(2)]
    _clips(root, clip, names)
    regex = r'^(?P<signer>P\d+)_'
    ds = convert_folder(str(root), split_by='signer', signer_regex=regex, seed=1)
    split_of_signer = {}
    for split, entries in ds.splits.items():
        for e in entries:
            assert e['signer_id'] == e['filename'].split('/')[1][:3]
            assert split_of_signer.setdefault(e['signer_id'], split) == split  # one split each
    # 10 signers: test round(1.5) = 2, val 2, train 6
    assert sorted(Counter(split_of_signer.values()).items()) == [('test', 2), ('train', 6),
                                                                 ('val', 2)]
    assert ds.metainfo['split_by'] == 'signer' and regex in ds.metainfo['split_rule']
    assert convert_folder(str(root), split_by='signer', signer_regex=regex,
                          seed=1).splits == ds.splits
    # clip mode with a regex records the signers too
    assert all('signer_id' in e for e in convert_folder(str(root), signer_regex=regex)
               .splits['train'])
    _clips(root, clip, ['a/anonymous.mp4'])
    with pytest.raises(DatasetFormatError, match=r'signs/a/anonymous.mp4: file name does not '
                       'match signer_regex'):
        convert_folder(str(root), split_by='signer', signer_regex=regex)
    with pytest.raises(ValueError, match='needs a named group "signer"'):
        convert_folder(str(root), split_by='signer', signer_regex=r'P\d+')
    with pytest.raises(ValueError, match='needs signer_regex'):
        convert_folder(str(root), split_by='signer')
    with pytest.raises(ValueError, match='summing to 1'):
        convert_folder(str(root), ratios=(0.5, 0.1, 0.1))


def test_convert_datasets_tool_folder(tmp_path, clip):
    root = tmp_path / 'signs'
    _clips(root, clip, [f'{g}/{i}.mp4' for g in ('hello', 'bye') for i in range(4)])
    (root / 'bye' / 'bad.mp4').write_bytes(b'\x00garbage' * 100)
    out = tmp_path / 'ann'
    args = ['folder', root, '--out-dir', out, '--name', 'mine', '--seed', '7',
            '--ratios', '0.5', '0.25', '0.25']
    # a recorded clip that does not decode: named, nothing written, unless allowed
    proc = _tool(*args)
    assert proc.returncode == 1
    assert 'bye/bad.mp4; nothing written (--skip-unreadable' in proc.stderr
    assert not out.exists()
    proc = _tool(*args, '--skip-unreadable')
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout
    assert 'mine: 2 classes' in text and 'split: per class by clip (stratified), seed 7' in text
    assert 'frame ranges: not used (use_frame_range=False: each clip holds just its sign)' in text
    assert re.search(r'1 unreadable videos \(left out: bye/bad.mp4\): .*mine_unreadable_videos',
                     text)
    assert (out / 'mine_unreadable_videos.txt').read_text() == 'bye/bad.mp4\n'
    assert (out / 'mine_classes.txt').read_text() == 'bye\nhello\n'
    meta, entries = load_annotation_list(str(out / 'mine_train.json'))
    assert meta['dataset'] == 'folder' and meta['use_frame_range'] is False
    assert meta['split_seed'] == 7 and len(entries) == 4  # 4 clips a class: 2/1/1
    lst = tmp_path / 'list.txt'
    lst.write_text('hello/0.mp4 1\nbye/0.mp4 bye\n')
    proc = _tool('folder', root, '--list', lst, '--out-dir', out)
    assert proc.returncode == 2 and 'list.txt, line 2' in proc.stderr
    proc = _tool('folder', root, '--out-dir', out, '--split-by', 'signer')
    assert proc.returncode == 2 and 'needs signer_regex' in proc.stderr
    proc = _tool('folder', tmp_path / 'absent', '--out-dir', out)
    assert proc.returncode == 2 and 'absent: not a folder' in proc.stderr
