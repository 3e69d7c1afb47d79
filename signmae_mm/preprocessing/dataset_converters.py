"""Convert WLASL, Slovo and NMFs-CSL annotations into SignMAE annotation lists (a folder of
labelled videos: :mod:`.folder_converter`).

Each converter reads a dataset's own annotation files, in their published layout, and returns a
:class:`ConvertedDataset`: class names and, per split, entries of the annotation list that
``SignVideoDataset`` reads (``filename``, ``label``, ``sign_ann`` + dataset-specific extras).
``sign_ann`` is where ``tools/preprocess.py`` writes the video's ``.npz`` (the video's path with
``.npz``), so the lists can be fed to the preprocessing tool and, once it has run, to the
dataset. :func:`~.converted_dataset.write_converted` writes the lists, the class names, the
missing and unreadable videos and the class counts.

Frame ranges (WLASL ``frame_start``/``frame_end``, Slovo ``begin``/``end``) are recorded in
each entry as ``frame_start`` (0-based, inclusive) and ``frame_end`` (0-based, exclusive;
``None`` = to the end of the video). Whether they apply depends on the videos, so each converter
says what it assumed in the lists' ``metainfo['use_frame_range']``, which ``SignVideoDataset``
follows unless its ``use_frame_range`` argument says otherwise: True for Slovo (a video holds
one sign between ``begin`` and ``end``), False for WLASL's processed ``videos/`` (already cut per
instance; ``raw_videos=True`` for uncut recordings), NMFs-CSL and folders (no ranges).
"""
import csv
from collections import Counter
from typing import List, Sequence

# the dataset-independent half lived here; its names stay importable from this module
from .converted_dataset import (ConvertedDataset, DatasetFormatError, check_videos,  # noqa: F401
                                class_counts, format_class_counts, write_converted)
from .video_list import default_sign_ann

__all__ = ['ConvertedDataset', 'DatasetFormatError', 'convert_wlasl', 'convert_slovo',
           'convert_nmfs_csl', 'check_videos', 'class_counts', 'write_converted',
           'format_class_counts', 'WLASL_SUBSETS', 'NMFS_CSL_NUM_CONFUSING']

#: WLASL subsets: the first K glosses of ``WLASL_v0.3.json``.
WLASL_SUBSETS = (100, 300, 1000, 2000)
#: NMFs-CSL: labels below this are the "confusing" words.
NMFS_CSL_NUM_CONFUSING = 610
_SLOVO_COLUMNS = ('attachment_id', 'user_id', 'width', 'height', 'length', 'text', 'train',
                  'begin', 'end')


# ---------------------------------------------------------------------------------- WLASL
def convert_wlasl(ann_file: str,
                  subsets: Sequence[int] = WLASL_SUBSETS,
                  video_ext: str = '.mp4',
                  raw_videos: bool = False) -> List[ConvertedDataset]:
    """WLASL: ``WLASL_v0.3.json``, a list of ``{"gloss", "instances": [...]}``.

    Subset ``K`` (WLASL100/300/1000/2000) is the first ``K`` glosses, label = gloss index.
    Videos are ``<video_id><video_ext>`` (the dataset's processed ``videos/`` folder).
    ``frame_start`` is 1-based and ``frame_end`` 1-based inclusive, -1 = to the end; entries
    get them 0-based, end exclusive (``None`` = to the end).

    The start kit's ``preprocess.py`` cuts each instance out of its recording into
    ``videos/<video_id>.mp4``, so by default the ranges do not apply to the videos
    (``metainfo['use_frame_range'] = False``). ``raw_videos=True`` says the videos are the uncut
    recordings, and the dataset then samples inside the ranges. The file names stay
    ``<video_id><video_ext>``: recordings that the start kit names otherwise (YouTube ids) must
    be linked or renamed to that.

    Args:
        ann_file (str): ``WLASL_v0.3.json`` (or any version with that layout).
        subsets (Sequence[int]): Subset sizes. Defaults to (100, 300, 1000, 2000).
        video_ext (str): Video file extension. Defaults to ``'.mp4'``.
        raw_videos (bool): The videos are uncut recordings: the lists get
            ``use_frame_range=True``. Defaults to False.

    Returns:
        list[ConvertedDataset]: One per subset (``wlasl100``, ...), splits ``train``,
        ``val``, ``test``.

    Raises:
        DatasetFormatError: Naming the file, gloss and instance.
    """
    import json
    try:
        with open(ann_file, encoding='utf-8') as f:
            glosses = json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetFormatError(f'{ann_file}: cannot read the WLASL JSON: {e}') from e
    if not isinstance(glosses, list):
        raise DatasetFormatError(f'{ann_file}: expected a JSON list of glosses, got '
                                 f'{type(glosses).__name__}')
    classes, per_gloss = [], []
    seen = Counter()
    for g, item in enumerate(glosses):
        where = f'{ann_file}, gloss {g}'
        if not isinstance(item, dict) or 'gloss' not in item or \
                not isinstance(item.get('instances'), list):
            raise DatasetFormatError(f'{where}: expected {{"gloss": ..., "instances": [...]}}')
        classes.append(str(item['gloss']))
        entries = []
        for j, inst in enumerate(item['instances']):
            where = f'{ann_file}, gloss {g} ({item["gloss"]}), instance {j}'
            try:
                video_id = str(inst['video_id'])
                split = str(inst['split'])
                start, end = int(inst.get('frame_start', 1)), int(inst.get('frame_end', -1))
            except (KeyError, TypeError, ValueError) as e:
                raise DatasetFormatError(f'{where}: needs video_id, split and integer '
                                         f'frame_start/frame_end ({e!r})') from None
            if split not in ('train', 'val', 'test'):
                raise DatasetFormatError(f'{where}: split {split!r} is not train/val/test')
            if start < 1 or (end != -1 and end < start):
                raise DatasetFormatError(f'{where}: bad frame range {start}..{end} (frame_start '
                                         'is 1-based, frame_end >= frame_start or -1)')
            seen[video_id] += 1
            filename = video_id + video_ext
            entry = dict(filename=filename, label=g, sign_ann=default_sign_ann(filename),
                         split=split, gloss=str(item['gloss']), video_id=video_id,
                         frame_start=start - 1, frame_end=None if end == -1 else end)
            for key in ('signer_id', 'instance_id', 'variation_id', 'source', 'fps', 'bbox'):
                if key in inst:
                    entry[key] = inst[key]
            entries.append(entry)
        per_gloss.append(entries)
    out = []
    for k in subsets:
        if not 0 < int(k) <= len(classes):
            raise DatasetFormatError(f'{ann_file}: subset {k} needs {k} glosses, the file has '
                                     f'{len(classes)}')
        splits = {'train': [], 'val': [], 'test': []}
        for entries in per_gloss[:int(k)]:
            for e in entries:
                splits[e['split']].append(e)
        ds = ConvertedDataset(f'wlasl{k}', classes[:int(k)], splits,
                              metainfo=dict(dataset='WLASL', subset=int(k),
                                            use_frame_range=bool(raw_videos)))
        dup = sorted(v for v, c in seen.items() if c > 1)
        if dup:
            ds.notes.append(f'{len(dup)} video_ids appear in more than one instance '
                            f'(e.g. {dup[:3]}); they share one video and one .npz')
        partial = sum(1 for s in splits.values() for e in s
                      if e['frame_start'] > 0 or e['frame_end'] is not None)
        if partial:
            ds.notes.append(f'{partial} instances cover only part of their recording '
                            '(frame_start/frame_end kept in the entries)')
        out.append(ds)
    return out


# ---------------------------------------------------------------------------------- Slovo
def _parse_bool(text: str, where: str) -> bool:
    value = str(text).strip().lower()
    if value in ('true', '1', 'yes'):
        return True
    if value in ('false', '0', 'no'):
        return False
    raise DatasetFormatError(f'{where}: "train" must be True or False, got {text!r}')


def convert_slovo(ann_file: str,
                  video_pattern: str = '{split}/{attachment_id}.mp4',
                  drop_no_event: bool = False,
                  no_event: str = 'no_event') -> ConvertedDataset:
    """Slovo: ``annotations.csv``, tab-separated, one row per video.

    Columns: attachment_id, user_id, width, height, length, text, train (bool), begin, end.
    Classes are the distinct ``text`` values in sorted order (the dataset publishes no class
    index), ``no_event`` included unless ``drop_no_event``. ``begin``/``end`` are copied to
    ``frame_start``/``frame_end`` as given; a video holds its sign between them, so the lists get
    ``use_frame_range=True``.

    Args:
        ann_file (str): ``annotations.csv``.
        video_pattern (str): Video path relative to the video root; ``{split}`` (train/test),
            ``{attachment_id}`` and ``{user_id}`` are filled in. Defaults to
            ``'{split}/{attachment_id}.mp4'`` (the published folders).
        drop_no_event (bool): Leave out the ``no_event`` videos. Defaults to False.
        no_event (str): Text of the no-sign class. Defaults to ``'no_event'``.

    Returns:
        ConvertedDataset: ``slovo``, splits ``train`` and ``test``.

    Raises:
        DatasetFormatError: Naming the file, line and column.
    """
    try:
        f = open(ann_file, encoding='utf-8', newline='')
    except OSError as e:
        raise DatasetFormatError(f'{ann_file}: cannot read the Slovo annotations: {e}') from e
    with f:
        reader = csv.DictReader(f, delimiter='\t')
        missing = [c for c in _SLOVO_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetFormatError(
                f'{ann_file}: columns {missing} missing (found {reader.fieldnames}); Slovo\'s '
                'annotations.csv is tab-separated with ' + ', '.join(_SLOVO_COLUMNS))
        rows = []
        for lineno, row in enumerate(reader, 2):
            where = f'{ann_file}, line {lineno}'
            try:
                begin, end = int(float(row['begin'])), int(float(row['end']))
                length = int(float(row['length']))
            except (TypeError, ValueError):
                raise DatasetFormatError(f'{where}: begin/end/length must be numbers, got '
                                         f'{row["begin"]!r}/{row["end"]!r}/{row["length"]!r}')
            rows.append((row, _parse_bool(row['train'], where), begin, end, length, where))
    texts = sorted({r[0]['text'] for r in rows if not (drop_no_event and r[0]['text'] == no_event)})
    index = {t: k for k, t in enumerate(texts)}
    splits = {'train': [], 'test': []}
    bad_range = 0
    for row, is_train, begin, end, length, where in rows:
        if row['text'] not in index:
            continue
        split = 'train' if is_train else 'test'
        filename = video_pattern.format(split=split, attachment_id=row['attachment_id'],
                                        user_id=row['user_id'])
        if not 0 <= begin <= end or (length > 0 and end > length):
            bad_range += 1
        splits[split].append(dict(
            filename=filename, label=index[row['text']], sign_ann=default_sign_ann(filename),
            text=row['text'], attachment_id=row['attachment_id'], signer_id=row['user_id'],
            frame_start=begin, frame_end=end))
    ds = ConvertedDataset('slovo', texts, splits, metainfo=dict(
        dataset='Slovo', no_event_class=index.get(no_event), use_frame_range=True))
    if bad_range:
        ds.notes.append(f'{bad_range} rows have begin/end outside 0 <= begin <= end <= length')
    return ds


# ------------------------------------------------------------------------------- NMFs-CSL
def _split_path(line: str) -> List[str]:
    return line.replace('\\', '/').split('/')


def convert_nmfs_csl(train_list: str, test_list: str) -> ConvertedDataset:
    """NMFs-CSL: ``trainlist01.txt`` (``<path> <label>`` lines) and ``testlist01.txt``
    (``<path>`` lines whose first path component is the label, e.g. ``0123/xxx.mp4``).

    Labels are the class folders' numbers; the train list's labels must agree with them up
    to one constant offset (a 1-based list is shifted to 0-based), else it is an error.
    Classes are named by their folders; labels below :data:`NMFS_CSL_NUM_CONFUSING` are
    the confusing words (``confusing`` in each entry).

    Args:
        train_list (str): ``trainlist01.txt``.
        test_list (str): ``testlist01.txt``.

    Returns:
        ConvertedDataset: ``nmfs_csl``, splits ``train`` and ``test``.

    Raises:
        DatasetFormatError: Naming the file and line.
    """
    def read(path):
        try:
            with open(path, encoding='utf-8') as f:
                return [(n, line.split()) for n, line in enumerate(f, 1) if line.strip()]
        except OSError as e:
            raise DatasetFormatError(f'{path}: cannot read the NMFs-CSL list: {e}') from e

    def folder_label(path, lineno, video):
        folder = _split_path(video)[0]
        if len(_split_path(video)) < 2 or not folder.isdigit():
            raise DatasetFormatError(f'{path}, line {lineno}: {video!r} does not start with a '
                                     'numeric class folder (e.g. 0123/xxx.mp4)')
        return int(folder), folder

    train, names, offsets = [], {}, Counter()
    for lineno, parts in read(train_list):
        if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
            raise DatasetFormatError(f'{train_list}, line {lineno}: expected "<path> <label>", '
                                     f'got {" ".join(parts)!r}')
        video, label = parts[0], int(parts[1])
        first = _split_path(video)[0]
        if len(_split_path(video)) > 1 and first.isdigit():
            offsets[label - int(first)] += 1
            names.setdefault(int(first), first)
        train.append((video, label, lineno))
    if len(offsets) > 1:
        raise DatasetFormatError(f'{train_list}: labels disagree with the class folders '
                                 f'(label - folder takes the values {sorted(offsets)})')
    offset = next(iter(offsets)) if offsets else 0
    test = []
    for lineno, parts in read(test_list):
        label, folder = folder_label(test_list, lineno, parts[0])
        if len(parts) > 1 and parts[1].lstrip('-').isdigit() and int(parts[1]) - offset != label:
            raise DatasetFormatError(f'{test_list}, line {lineno}: label {parts[1]} disagrees '
                                     f'with the class folder {folder}')
        names.setdefault(label, folder)
        test.append((parts[0], label, lineno))
    labels = [lab - offset for _, lab, _ in train] + [lab for _, lab, _ in test]
    if min(labels, default=0) < 0:
        raise DatasetFormatError(f'{train_list}: negative labels after the offset {offset}')
    num_classes = max(labels, default=-1) + 1
    classes = [names.get(k, str(k)) for k in range(num_classes)]
    splits = {'train': [], 'test': []}
    for split, rows, shift in (('train', train, offset), ('test', test, 0)):
        for video, label, _ in rows:
            label -= shift
            splits[split].append(dict(filename=video, label=label,
                                      sign_ann=default_sign_ann(video),
                                      confusing=label < NMFS_CSL_NUM_CONFUSING))
    ds = ConvertedDataset('nmfs_csl', classes, splits, metainfo=dict(
        dataset='NMFs-CSL', num_confusing=NMFS_CSL_NUM_CONFUSING, use_frame_range=False))
    if offset:
        ds.notes.append(f'{train_list}: labels are the class folders + {offset}; shifted to '
                        'the folders\' numbers')
    return ds
