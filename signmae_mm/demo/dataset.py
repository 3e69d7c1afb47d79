"""Write a demo data set: mp4 clips, their sign annotations and train/val/test annotation lists.

Layout under ``root`` (``SignVideoDataset`` reads it with
``data_prefix=dict(video=f'{root}/videos', sign_ann=f'{root}/sign_ann')``)::

    root/videos/{train,val,test}/<label>_<sign>_<index>.mp4
    root/sign_ann/{train,val,test}/<label>_<sign>_<index>.npz
    root/{train,val,test}.json     annotation lists (signmae_mm.datasets format)
    root/vocabulary.json           classes, fine-grained pairs, hand shapes, generator settings

Every class has the same number of videos in each split. Video ``i`` of class ``c`` is rendered
from the seed ``[seed, c, i]`` (recorded in its list entry), so the set, and any one video of it,
can be re-created exactly.
"""
import json
import multiprocessing
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..structures import dump_annotation_list, save_sign_annotation
from ..testing.synthetic_videos import write_video
from .generator import render_clip
from .hand import HAND_SHAPES
from .keypoint_noise import KeypointNoise
from .signs import SIGN_PAIRS, get_vocabulary

__all__ = ['SPLITS', 'DemoDataset', 'split_counts', 'write_demo_dataset',
           'write_noisy_annotations']

SPLITS: Tuple[str, ...] = ('train', 'val', 'test')
_FPS = 25.0


@dataclass
class DemoDataset:
    """What :func:`write_demo_dataset` wrote.

    Attributes:
        root (str): Output folder.
        classes (list[str]): Class names, index = label.
        ann_files (dict[str, str]): Split -> annotation list.
        counts (dict[str, int]): Split -> number of videos.
        video_prefix (str): ``data_prefix['video']`` for ``SignVideoDataset``.
        sign_ann_prefix (str): ``data_prefix['sign_ann']``.
        seconds (float): Time taken.
    """
    root: str
    classes: List[str]
    ann_files: Dict[str, str] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=dict)
    video_prefix: str = ''
    sign_ann_prefix: str = ''
    seconds: float = 0.0


def split_counts(videos_per_class: int, val_fraction: float = 1 / 6,
                 test_fraction: float = 1 / 6) -> Dict[str, int]:
    """Videos per class in each split (the same for every class: balanced splits).

    Validation and test get at least one video each once there are three per class.

    Args:
        videos_per_class (int): Videos per class.
        val_fraction (float): Share of validation videos. Defaults to 1/6.
        test_fraction (float): Share of test videos. Defaults to 1/6.

    Returns:
        dict[str, int]: ``{'train': n, 'val': n, 'test': n}``, summing to ``videos_per_class``.
    """
    if videos_per_class < 1:
        raise ValueError(f'videos_per_class must be >= 1, got {videos_per_class}')
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError('val_fraction and test_fraction must be >= 0 and leave room for '
                         f'training, got {val_fraction}, {test_fraction}')
    n = videos_per_class
    least = 1 if n >= 3 else 0
    val = max(least if val_fraction > 0 else 0, int(round(n * val_fraction)))
    test = max(least if test_fraction > 0 else 0, int(round(n * test_fraction)))
    if val + test >= n:  # keep at least one training video
        val, test = (n - 1) // 2, (n - 1) - (n - 1) // 2
    return dict(train=n - val - test, val=val, test=test)


def _jobs(num_classes: int, counts: Dict[str, int]) -> Iterator[Tuple[int, int, str]]:
    for label in range(num_classes):
        index = 0
        for split in SPLITS:
            for _ in range(counts[split]):
                yield label, index, split
                index += 1


def _noisy(noise: KeypointNoise, keypoints: np.ndarray, scores: np.ndarray,
           img_shape: Tuple[int, int], video_seed: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """A video's noisy keypoints, a function of its seed alone (so a noisy twin written later
    holds the keypoints that ``write_demo_dataset(keypoint_noise=...)`` writes)."""
    # a fifth stream of the video's seed: render_clip spawns four, which stay as they are
    rng = np.random.default_rng(np.random.SeedSequence([int(v) for v in video_seed]).spawn(5)[4])
    return noise.apply(keypoints, scores, img_shape, rng)


def _write_one(job: Tuple) -> Dict:
    """Render and write one video and its annotation; returns its list entry."""
    root, label, index, split, seed, num_frames, size, grid, num_classes, noise = job
    sign = get_vocabulary(num_classes)[label]
    video_seed = [int(seed), int(label), int(index)]
    clip = render_clip(sign, video_seed, num_frames, size, grid)
    stem = f'{split}/{label:02d}_{sign.name}_{index:03d}'
    write_video(osp.join(root, 'videos', f'{stem}.mp4'), clip.frames, _FPS)
    h, w = clip.frames.shape[1:3]
    keypoints, scores = clip.keypoints, clip.keypoint_scores
    if noise is not None:
        keypoints, scores = _noisy(noise, keypoints, scores, (h, w), video_seed)
    save_sign_annotation(
        osp.join(root, 'sign_ann', f'{stem}.npz'), keypoints, scores,
        clip.person_bboxes, clip.part_maps, (h, w), part_map_source='demo_renderer')
    return dict(filename=f'{stem}.mp4', label=label, sign_ann=f'{stem}.npz',
                total_frames=int(num_frames), img_shape=[int(h), int(w)], sign=sign.name,
                split=split, seed=video_seed)


def _remove_previous(root: str) -> None:
    """Delete the clips and annotations of an earlier demo set in ``root`` (only those)."""
    for sub, ext in (('videos', '.mp4'), ('sign_ann', '.npz')):
        for split in SPLITS:
            folder = osp.join(root, sub, split)
            if osp.isdir(folder):
                for name in os.listdir(folder):
                    if name.endswith(ext):
                        os.remove(osp.join(folder, name))


def write_demo_dataset(root: str,
                       num_classes: int = 10,
                       videos_per_class: int = 300,
                       num_frames: int = 16,
                       size: Union[int, Sequence[int]] = 64,
                       seed: int = 0,
                       grid: Sequence[int] = (32, 32),
                       val_fraction: float = 1 / 6,
                       test_fraction: float = 1 / 6,
                       workers: int = 1,
                       keypoint_noise: Optional[KeypointNoise] = None) -> DemoDataset:
    """Render and write a demo sign-language data set.

    Args:
        root (str): Output folder (created). Clips of an earlier demo set there are replaced.
        num_classes (int): Classes, the first of :data:`signmae_mm.demo.VOCABULARY` (an even
            number keeps every fine-grained pair whole). Defaults to 10.
        videos_per_class (int): Videos per class. Defaults to 300 (2000 / 500 / 500).
        num_frames (int): Frames per video. Defaults to 16.
        size (int | Sequence[int]): ``S`` or ``(H, W)``. decord 0.6.0 misreads mp4v files of
            some small widths (16, 24, 48, 72); 64, 96, 112, 128, 224 are fine. Defaults to 64.
        seed (int): Seed of the whole set. Defaults to 0.
        grid (Sequence[int]): ``(Gh, Gw)`` part-map grid. Defaults to ``(32, 32)``.
        val_fraction (float): Share of each class in the validation split. Defaults to 1/6.
        test_fraction (float): Share of each class in the test split. Defaults to 1/6.
        workers (int): Processes rendering in parallel; the output does not depend on it.
            Defaults to 1.
        keypoint_noise (KeypointNoise, optional): Make the saved keypoints and scores look
            like MediaPipe Holistic's (jitter, dropped hands, scores, label mix-ups; the
            parameters go to ``vocabulary.json``'s settings). Only the annotations'
            keypoints change: the part maps come from the renderer's paint, not from
            keypoints, and stay exact, as do the videos and person boxes. None (default):
            exact keypoints, the same files as without the option.

    Returns:
        DemoDataset: Paths and counts.
    """
    start = time.time()
    signs = get_vocabulary(num_classes)
    counts = split_counts(videos_per_class, val_fraction, test_fraction)
    size = int(size) if isinstance(size, int) else tuple(int(v) for v in size)
    grid = tuple(int(v) for v in grid)
    root = osp.abspath(root)
    os.makedirs(root, exist_ok=True)
    _remove_previous(root)
    jobs = [(root, label, index, split, seed, num_frames, size, grid, num_classes,
             keypoint_noise)
            for label, index, split in _jobs(num_classes, counts)]
    if workers > 1:
        method = 'fork' if 'fork' in multiprocessing.get_all_start_methods() else 'spawn'
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as ex:
            entries = list(ex.map(_write_one, jobs, chunksize=4))
    else:
        entries = [_write_one(job) for job in jobs]

    classes = [s.name for s in signs]
    out = DemoDataset(root=root, classes=classes, video_prefix=osp.join(root, 'videos'),
                      sign_ann_prefix=osp.join(root, 'sign_ann'))
    metainfo = dict(classes=classes, dataset='signmae_mm demo')
    for split in SPLITS:
        split_entries = [e for e in entries if e['split'] == split]
        path = osp.join(root, f'{split}.json')
        dump_annotation_list(path, split_entries, metainfo)
        out.ann_files[split] = path
        out.counts[split] = len(split_entries)
    names = set(classes)
    settings = dict(num_classes=num_classes, videos_per_class=videos_per_class,
                    num_frames=num_frames, size=size, seed=seed, grid=list(grid), fps=_FPS,
                    videos_per_class_per_split=counts)
    if keypoint_noise is not None:  # absent without it: the default set stays as it was
        settings['keypoint_noise'] = keypoint_noise.to_dict()
    vocabulary = dict(
        classes=classes,
        pairs=[asdict(p) for p in SIGN_PAIRS if p.first in names and p.second in names],
        signs=[asdict(s) for s in signs],
        hand_shapes={k: asdict(v) for k, v in HAND_SHAPES.items()},
        settings=settings)
    with open(osp.join(root, 'vocabulary.json'), 'w') as f:
        json.dump(vocabulary, f, indent=1)
    out.seconds = time.time() - start
    return out


def write_noisy_annotations(root: str,
                            keypoint_noise: Optional[KeypointNoise] = None,
                            out: str = 'sign_ann_noisy') -> str:
    """Give a demo set a noisy twin of its sign annotations, beside the exact ones.

    For the keypoint stream and the keypoint baseline, which should read keypoints as MediaPipe
    gives them, while the masks of the video streams' pretraining keep reading the set's part
    maps (exact either way). Each video's keypoints get ``keypoint_noise`` from its recorded seed,
    so the twin holds the keypoints and scores that ``write_demo_dataset(keypoint_noise=...)``
    would have written; boxes and part maps are copied. ``root/out/keypoint_noise.json`` records
    the parameters; a complete twin with the same parameters is left as it is.

    Args:
        root (str): A set of :func:`write_demo_dataset` (its lists, ``sign_ann`` and
            ``vocabulary.json``).
        keypoint_noise (KeypointNoise, optional): Defaults to ``KeypointNoise()`` (the measured
            parameters).
        out (str): Folder of the twin under ``root``. Defaults to ``'sign_ann_noisy'``.

    Returns:
        str: The folder to read noisy annotations from (``data_prefix['sign_ann']``):
        ``root/sign_ann`` itself if the set was written with keypoint noise already (noise is
        not added twice), else ``root/out``.

    Raises:
        FileNotFoundError: ``root`` is not a demo set (no ``vocabulary.json`` or list).
    """
    from ..structures import load_annotation_list, load_sign_annotation
    noise = keypoint_noise or KeypointNoise()
    root = osp.abspath(root)
    with open(osp.join(root, 'vocabulary.json')) as f:
        if 'keypoint_noise' in json.load(f)['settings']:
            return osp.join(root, 'sign_ann')
    folder = osp.join(root, out)
    record = osp.join(folder, 'keypoint_noise.json')
    entries = [e for split in SPLITS
               for e in load_annotation_list(osp.join(root, f'{split}.json'))[1]]
    params = noise.to_dict()
    if osp.isfile(record) and all(
            osp.isfile(osp.join(folder, e['sign_ann'])) for e in entries):
        with open(record) as f:
            if json.load(f) == params:
                return folder
    for e in entries:
        ann = load_sign_annotation(osp.join(root, 'sign_ann', e['sign_ann']))
        keypoints, scores = _noisy(noise, ann['keypoints'], ann['keypoint_scores'],
                                   ann['img_shape'], e['seed'])
        path = osp.join(folder, e['sign_ann'])
        os.makedirs(osp.dirname(path), exist_ok=True)
        save_sign_annotation(path, keypoints, scores, ann['person_bboxes'], ann['part_maps'],
                             ann['img_shape'], part_map_source='demo_renderer')
    with open(record, 'w') as f:  # last: a half-written twin has no record, and is redone
        json.dump(params, f, indent=1)
    return folder
