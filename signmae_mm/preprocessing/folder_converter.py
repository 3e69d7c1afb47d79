"""A folder of labelled sign videos, as people record them, as a SignMAE dataset.

Layouts: ``ROOT/<gloss>/<clip>`` (classes = the gloss folders, sorted), ``ROOT/<split>/<gloss>/
<clip>`` (the split given by the top folders), or a list file of ``path label [split]`` lines.
Without a given split the clips are split reproducibly (seeded, independent of the listing
order) by clip, stratified per class, or by signer (a regex on the file name). Every video is
opened once: unreadable ones are reported and left out. The result is a
:class:`~.dataset_converters.ConvertedDataset`, written by
:func:`~.dataset_converters.write_converted` like the published datasets.
"""
import os
import os.path as osp
import random
import re
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .converted_dataset import ConvertedDataset, DatasetFormatError
from .video_list import default_sign_ann

__all__ = ['FOLDER_SPLITS', 'FOLDER_VIDEO_EXTENSIONS', 'convert_folder']

#: Video files :func:`convert_folder` lists (matched case-insensitively).
FOLDER_VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
#: Split names, in the order the lists are written.
FOLDER_SPLITS = ('train', 'val', 'test')


def _is_video(name: str) -> bool:
    return not name.startswith('.') and name.lower().endswith(FOLDER_VIDEO_EXTENSIONS)


def _subfolders(folder: str) -> List[str]:
    # hidden folders (.git, .ipynb_checkpoints, ...) are never classes or splits
    return sorted(n for n in os.listdir(folder)
                  if not n.startswith('.') and osp.isdir(osp.join(folder, n)))


def _videos_in(folder: str, root: str) -> List[str]:
    """Video files directly in ``folder`` (not below), relative to ``root``, '/'-separated."""
    return sorted(osp.relpath(osp.join(folder, n), root).replace(os.sep, '/')
                  for n in os.listdir(folder)
                  if _is_video(n) and osp.isfile(osp.join(folder, n)))


def _videos_below(folder: str, root: str) -> List[str]:
    """Video files in ``folder`` and its subfolders, relative to ``root``, sorted."""
    found = []
    for where, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        found += [osp.relpath(osp.join(where, n), root).replace(os.sep, '/')
                  for n in files if _is_video(n)]
    return sorted(found)


def _scan_folder(root: str, notes: List[str]) -> Tuple[List[Tuple[str, str, Optional[str]]],
                                                      bool]:
    """``(filename, gloss, split or None)`` of every video, and whether the split is given."""
    if not osp.isdir(root):
        raise DatasetFormatError(f'{root}: not a folder')
    loose = _videos_in(root, root)
    if loose:
        raise DatasetFormatError(f'{root}: {len(loose)} videos directly in the root (e.g. '
                                 f'{loose[0]}); expected ROOT/<gloss>/<clip> or '
                                 'ROOT/<split>/<gloss>/<clip>, or a list file')
    top = _subfolders(root)
    by_split = bool(top) and set(top) <= set(FOLDER_SPLITS) and 'train' in top
    groups = ([(split, osp.join(root, split)) for split in top] if by_split
              else [(None, root)])
    items, empty = [], []
    for split, folder in groups:
        loose = _videos_in(folder, root)
        if loose:
            raise DatasetFormatError(f'{folder}: {len(loose)} videos directly in the split '
                                     f'folder (e.g. {loose[0]}); expected '
                                     f'{split}/<gloss>/<clip>')
        for gloss in _subfolders(folder):
            videos = _videos_below(osp.join(folder, gloss), root)
            if not videos:
                empty.append(osp.relpath(osp.join(folder, gloss), root).replace(os.sep, '/'))
            items += [(video, gloss, split) for video in videos]
    if not items:
        raise DatasetFormatError(
            f'{root}: no videos ({", ".join(FOLDER_VIDEO_EXTENSIONS)}) found in class folders; '
            'expected ROOT/<gloss>/<clip> or ROOT/<split>/<gloss>/<clip>')
    if empty:
        notes.append(f'{len(empty)} folders without videos are no classes '
                     f'({", ".join(empty[:5])}{", ..." if len(empty) > 5 else ""})')
    return items, by_split


def _read_folder_list(list_file: str) -> Tuple[List[Tuple[str, Any, Optional[str]]], bool]:
    """``(filename, label (int or gloss), split or None)`` per line, and whether labels are
    ints."""
    try:
        with open(list_file, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetFormatError(f'{list_file}: cannot read the list: {e}') from e
    rows: List[Tuple[str, Any, Optional[str]]] = []
    first_kind = first_split = None  # (kind, line) of the first line, to name in errors
    seen: Dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        parts = line.split()
        if not parts or parts[0].startswith('#'):
            continue
        where = f'{list_file}, line {lineno}'
        if len(parts) not in (2, 3):
            raise DatasetFormatError(f'{where}: expected "<path> <label> [split]" (separated by '
                                     f'white space), got {line.strip()!r}')
        path = osp.normpath(parts[0].replace('\\', '/')).replace(os.sep, '/')
        kind = 'an integer' if parts[1].lstrip('-').isdigit() else 'a gloss name'
        if first_kind is None:
            first_kind = (kind, lineno)
        elif kind != first_kind[0]:
            raise DatasetFormatError(
                f'{where}: label {parts[1]!r} is {kind} but the label of line {first_kind[1]} is '
                f'{first_kind[0]}; use the same kind of label on every line')
        label: Any = int(parts[1]) if kind == 'an integer' else parts[1]
        if kind == 'an integer' and label < 0:
            raise DatasetFormatError(f'{where}: negative label {label}')
        split = parts[2] if len(parts) == 3 else None
        if split is not None and split not in FOLDER_SPLITS:
            raise DatasetFormatError(f'{where}: split {split!r} is not one of '
                                     f'{"/".join(FOLDER_SPLITS)}')
        if first_split is None:
            first_split = (split is not None, lineno)
        elif (split is not None) != first_split[0]:
            raise DatasetFormatError(
                f'{where}: {"a" if split else "no"} split column, but line {first_split[1]} has '
                f'{"one" if first_split[0] else "none"}; give the split on every line or on none')
        if path in seen:
            raise DatasetFormatError(f'{where}: {path} is listed twice (first on line '
                                     f'{seen[path]})')
        seen[path] = lineno
        rows.append((path, label, split))
    if not rows:
        raise DatasetFormatError(f'{list_file}: no "<path> <label> [split]" lines')
    return rows, first_kind[0] == 'an integer'


def _unreadable_reason(path: str) -> Optional[str]:
    """Why decord cannot read the video, or None when it opens with at least one frame."""
    import decord
    try:
        reader = decord.VideoReader(path, num_threads=1)
        num = len(reader)
        del reader
    except Exception as e:  # decord raises its own error types (and RuntimeError)
        return f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
    return None if num > 0 else 'no frames'


def _round_half_up(value: float) -> int:
    # the epsilon keeps products like 30 * 0.15 = 4.4999... on the intended half
    return int(value + 0.5 + 1e-9)


def _split_sizes(n: int, ratios: Sequence[float]) -> Tuple[int, int, int]:
    """``(train, val, test)`` sizes of ``n`` items (the rule of :func:`convert_folder`)."""
    _, r_val, r_test = ratios
    test = max(1, _round_half_up(n * r_test)) if n >= 2 and r_test > 0 else 0
    val = max(1, _round_half_up(n * r_val)) if n >= 3 and r_val > 0 else 0
    # train keeps at least one item; high val/test ratios give way, val first
    over = max(0, test + val - (n - 1)) if n else 0
    cut = min(val, over)
    val, test = val - cut, test - (over - cut)
    return n - val - test, val, test


def _assign(keys: Sequence[str], ratios: Sequence[float], seed: int,
            stream: str) -> Dict[str, str]:
    """Split of each key: sorted (so the listing order does not matter), shuffled with
    ``(seed, stream)``, then test, val and train take their sizes in that order."""
    order = sorted(keys)
    random.Random(f'{seed}/{stream}').shuffle(order)
    _, val, test = _split_sizes(len(order), ratios)
    return {k: 'test' if i < test else 'val' if i < test + val else 'train'
            for i, k in enumerate(order)}


def convert_folder(root: str,
                   list_file: Optional[str] = None,
                   name: str = 'folder',
                   split_by: str = 'clip',
                   signer_regex: Optional[str] = None,
                   ratios: Sequence[float] = (0.7, 0.15, 0.15),
                   seed: int = 0) -> ConvertedDataset:
    """A folder of labelled videos: one folder per gloss, or a list file.

    Layouts (videos: ``.mp4``, ``.avi``, ``.mov``, ``.mkv``, ``.webm``, any case; names starting
    with ``.`` are ignored):

    1. ``root/<gloss>/<clip>``: the classes are the gloss folders with videos, sorted by name
       (label = index); videos in subfolders of a gloss folder belong to the gloss.
    2. ``root/<split>/<gloss>/<clip>``, used when the top-level folders are ``train`` and
       optionally ``val`` / ``test``, and nothing else: the split is given.
    3. ``list_file``: ``<path> <label> [split]`` lines, separated by white space, ``path``
       relative to ``root``, ``#`` lines ignored. The label is an integer on every line (the
       classes are then named by the numbers ``0 .. max``) or a gloss name on every line (the
       classes are the names, sorted). The split is given on every line or on none.

    Without a given split, a seeded split independent of the file system's listing order
    (items are sorted before they are shuffled), with ``ratios = (train, val, test)``:

    - ``split_by='clip'`` (stratified): per class, of its ``n`` clips ``test`` gets
      ``max(1, round(n * test))`` if ``n >= 2`` else 0, ``val`` ``max(1, round(n * val))`` if
      ``n >= 3`` else 0, ``train`` the rest (halves round up; a zero ratio gives nothing; train
      always keeps one clip).
    - ``split_by='signer'``: ``signer_regex``, a regular expression with a group named
      ``signer``, is searched in each file name (the base name); the same rule is applied to the
      signers (sorted, then shuffled), and every clip of a signer goes to its signer's split, so
      no signer is seen in two splits. This split is not stratified.

    ``signer_regex`` also records ``signer_id`` in the entries when the split is by clip or
    given. Each video is opened with decord; those that do not open or have no frames are left
    out (``unreadable``), as are a list's videos that do not exist (``missing``), before the
    split is made. Labels come from the layout or the list, so leaving videos out changes none.

    Args:
        root (str): The dataset folder (``filename`` entries are relative to it).
        list_file (str, optional): A ``<path> <label> [split]`` list instead of the gloss
            folders.
        name (str): Name of the converted dataset (output file prefix). Defaults to
            ``'folder'``.
        split_by (str): ``'clip'`` (default) or ``'signer'``; used when no split is given.
        signer_regex (str, optional): Regular expression with a named group ``signer``.
        ratios (Sequence[float]): Train, val and test shares, summing to 1, train > 0.
            Defaults to (0.7, 0.15, 0.15).
        seed (int): Seed of the split. Defaults to 0.

    Returns:
        ConvertedDataset: Entries ``filename``, ``label``, ``sign_ann``, ``gloss``, ``split``
        (and ``signer_id``); metainfo ``dataset='folder'``, ``use_frame_range=False`` (a clip
        holds just its sign), ``split_by`` (``'folders'``, ``'list'``, ``'clip'`` or
        ``'signer'``) and ``split_rule`` (the rule in words, with the seed).

    Raises:
        DatasetFormatError: The folder or list does not have the layout, or a file name does not
            match ``signer_regex`` (naming the folder, file or line).
        ValueError: Bad arguments (``split_by``, ``ratios``, ``signer_regex``).
    """
    if split_by not in ('clip', 'signer'):
        raise ValueError(f"split_by must be 'clip' or 'signer', got {split_by!r}")
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3 or min(ratios) < 0 or ratios[0] <= 0 or abs(sum(ratios) - 1) > 1e-3:
        raise ValueError(f'ratios must be three shares (train, val, test) >= 0 with train > 0, '
                         f'summing to 1; got {ratios}')
    pattern = None
    if signer_regex is not None:
        try:
            pattern = re.compile(signer_regex)
        except re.error as e:
            raise ValueError(f'signer_regex {signer_regex!r} is not a regular expression: '
                             f'{e}') from e
        if 'signer' not in pattern.groupindex:
            raise ValueError(f'signer_regex {signer_regex!r} needs a named group "signer", '
                             r'e.g. (?P<signer>P\d+)_')
    elif split_by == 'signer':
        raise ValueError("split_by='signer' needs signer_regex (with a group named signer)")

    notes: List[str] = []
    if list_file is not None:
        if not osp.isdir(root):
            raise DatasetFormatError(f'{root}: not a folder')
        rows, int_labels = _read_folder_list(list_file)
        if int_labels:
            classes = [str(k) for k in range(max(r[1] for r in rows) + 1)]
            items = [(path, classes[label], split) for path, label, split in rows]
        else:
            classes = sorted({r[1] for r in rows})
            items = list(rows)
        given, given_by = rows[0][2] is not None, 'list'
    else:
        items, given = _scan_folder(root, notes)
        classes = sorted({gloss for _, gloss, _ in items})
        given_by = 'folders'
    index = {c: k for k, c in enumerate(classes)}

    signers: Dict[str, str] = {}
    if pattern is not None:
        for path, _, _ in items:
            match = pattern.search(osp.basename(path))
            if match is None or match.group('signer') is None:
                raise DatasetFormatError(f'{osp.join(root, path)}: file name does not match '
                                         f'signer_regex "{pattern.pattern}" (no signer group)')
            signers[path] = match.group('signer')

    missing, unreadable, kept = [], [], []
    # before the split, so that the split's sizes count the clips the lists will hold
    for item in items:
        full = osp.join(root, item[0])
        if not osp.isfile(full):
            missing.append(item[0])
            continue
        reason = _unreadable_reason(full)
        if reason is None:
            kept.append(item)
            continue
        if not unreadable:
            notes.append(f'first unreadable video: {item[0]} ({reason})')
        unreadable.append(item[0])

    if given:
        split_of = {path: split for path, _, split in kept}
        where = (f'{root}/<split>/<gloss>/<clip>' if given_by == 'folders'
                 else f"the list's split column ({list_file})")
        meta_split = dict(split_by=given_by, split_rule=f'given by {where}')
        names = [s for s in FOLDER_SPLITS if s in {split for _, _, split in items}]
    else:
        size_rule = (f'test gets max(1, round(n*{ratios[2]:g})) if n >= 2 else 0, val '
                     f'max(1, round(n*{ratios[1]:g})) if n >= 3 else 0, train the rest')
        shares = '/'.join(f'{r:g}' for r in ratios)
        split_of = {}
        if split_by == 'clip':
            by_class: Dict[str, List[str]] = {}
            for path, gloss, _ in kept:
                by_class.setdefault(gloss, []).append(path)
            for gloss, paths in by_class.items():
                split_of.update(_assign(paths, ratios, seed, f'class/{gloss}'))
            rule = (f'per class by clip (stratified), seed {seed}, ratios train/val/test '
                    f'{shares}: of a class\'s n clips, sorted by path then shuffled, {size_rule}')
        else:
            by_signer = _assign(sorted({signers[p] for p, _, _ in kept}), ratios, seed,
                                'signers')
            split_of = {path: by_signer[signers[path]] for path, _, _ in kept}
            per_split = Counter(by_signer.values())
            rule = (f'by signer (signer_regex "{pattern.pattern}"), seed {seed}, ratios '
                    f'train/val/test {shares}: of the n signers, sorted then shuffled, '
                    f'{size_rule}; every clip of a signer in its signer\'s split')
            notes.append('signers per split: ' + ', '.join(
                f'{s} {per_split.get(s, 0)}' for s in FOLDER_SPLITS))
        meta_split = dict(split_by=split_by, split_rule=rule, split_seed=seed,
                          split_ratios=list(ratios))
        names = [s for s, r in zip(FOLDER_SPLITS, ratios) if r > 0]

    splits: Dict[str, List[Dict[str, Any]]] = {s: [] for s in names}
    for path, gloss, _ in sorted(kept, key=lambda it: (index[it[1]], it[0])):
        entry = dict(filename=path, label=index[gloss], sign_ann=default_sign_ann(path),
                     gloss=gloss, split=split_of[path])
        if path in signers:
            entry['signer_id'] = signers[path]
        splits[split_of[path]].append(entry)
    ds = ConvertedDataset(name, classes, splits,
                          metainfo=dict(dataset='folder', use_frame_range=False, **meta_split),
                          missing=sorted(missing), notes=notes, unreadable=sorted(unreadable))
    if given and split_by == 'signer':
        ds.notes.append(f'split given by the {given_by}: split_by, ratios and seed not used')
    return ds
