"""Dataset-scale preprocessing: resumable, shardable, atomic, with a summary of failures.

Output layout under ``out_dir`` (``sign_ann`` = the video's path with ``.npz``)::

    out_dir/<sign_ann>                  the sign annotation (written atomically)
    out_dir/<sign_ann stem>.meta.json   written last, atomically: the video is finished
                                        ("status": "done" or "failed", why, settings, timings)
    out_dir/<list>.json                 the annotation list for SignVideoDataset, written once
                                        no video of the input list is pending
    out_dir/preprocess_summary[_shard-i-of-n].json   this run's summary and every failure

A video counts as finished only through its ``.meta.json``, which is written after its
``.npz`` is in place and records the ``.npz`` size: a run killed at any point leaves at worst a
temporary file (``.tmp_*``, never read) or an ``.npz`` without its ``.meta.json``, and the
next run redoes that video.
"""
import datetime
import json
import os.path as osp
import sys
import time
import traceback
from collections import defaultdict
from typing import Any, Dict, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from signmae_mm.structures import dump_annotation_list
from signmae_mm.utils import atomic_open
from signmae_mm.version import __version__

from .errors import PreprocessError
from .pipeline import VideoAnnotator
from .video_list import VideoItem

__all__ = ['PreprocessRunner', 'parse_shard', 'meta_path', 'read_video_state']

#: Extra keys copied from a video's metadata into its annotation-list entry.
LIST_META_KEYS = ('keypoint_source', 'part_map_source', 'person_source',
                  'person_frames_filled', 'person_frames_missing')


def parse_shard(text: str) -> Tuple[int, int]:
    """``'i/n'`` -> ``(i, n)``, 0-based: shard ``i`` takes the videos ``k`` with ``k % n == i``.

    Args:
        text (str): E.g. ``'0/4'``.

    Returns:
        tuple[int, int]: ``(i, n)``.
    """
    try:
        i, n = (int(v) for v in str(text).split('/'))
    except ValueError:
        raise ValueError(f'shard must be "i/n" with integers, got {text!r}') from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f'shard {text!r}: need n >= 1 and 0 <= i < n (shards are 0-based)')
    return i, n


def meta_path(out_dir: str, sign_ann: str) -> str:
    """The ``.meta.json`` that marks a video as finished."""
    return osp.join(out_dir, osp.splitext(sign_ann)[0] + '.meta.json')


def _write_json(path: str, obj: Any) -> None:
    """JSON written all or nothing (:func:`~signmae_mm.utils.atomic_open`: ``.tmp_*`` first)."""
    with atomic_open(path, 'w') as f:
        json.dump(obj, f, indent=1)


def read_video_state(out_dir: str, sign_ann: str) -> Tuple[str, Optional[dict]]:
    """State of one video's output: ``'done'``, ``'failed'`` or ``'pending'``, and its meta.

    ``'done'`` needs the ``.meta.json`` to say so and the ``.npz`` to exist with the size the
    meta recorded; anything else (no meta, unreadable meta, missing or changed ``.npz``) is
    ``'pending'``.

    Args:
        out_dir (str): The output folder.
        sign_ann (str): The ``.npz`` path relative to it.

    Returns:
        tuple[str, dict | None]: The state and the parsed meta (None if unreadable).
    """
    try:
        with open(meta_path(out_dir, sign_ann), encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return 'pending', None
    status = meta.get('status') if isinstance(meta, dict) else None
    if status == 'failed':
        return 'failed', meta
    if status == 'done':
        npz = osp.join(out_dir, sign_ann)
        if osp.isfile(npz) and osp.getsize(npz) == meta.get('npz_bytes'):
            return 'done', meta
    return 'pending', meta


class PreprocessRunner:
    """Run a :class:`~.pipeline.VideoAnnotator` over a list of videos.

    Args:
        preprocessor (VideoAnnotator, optional): What to run on each video (None: only
            collect finished videos, ``run(collect_only=True)``).
        video_root (str): Folder that list filenames are relative to.
        out_dir (str): Output folder (see the module docstring).
        overwrite (bool): Redo videos that are finished. Defaults to False.
        retry_failed (bool): Redo videos that failed before (e.g. after changing the detector
            threshold). Defaults to False: a failure is final until asked.
        fail_fast (bool): Raise on the first unexpected error (not on a
            :class:`PreprocessError`, which is the video's fault) instead of recording it.
            Defaults to False.
    """

    def __init__(self,
                 preprocessor: Optional[VideoAnnotator],
                 video_root: str,
                 out_dir: str,
                 overwrite: bool = False,
                 retry_failed: bool = False,
                 fail_fast: bool = False) -> None:
        self.preprocessor = preprocessor
        self.video_root = video_root
        self.out_dir = out_dir
        self.overwrite = overwrite
        self.retry_failed = retry_failed
        self.fail_fast = fail_fast

    def video_path(self, item: VideoItem) -> str:
        return osp.join(self.video_root, item.filename)

    def run(self,
            items: Sequence[VideoItem],
            shard: Tuple[int, int] = (0, 1),
            out_list: Optional[str] = None,
            metainfo: Optional[Dict[str, Any]] = None,
            summary_path: Optional[str] = None,
            collect_only: bool = False,
            allow_partial_list: bool = False) -> Dict[str, Any]:
        """Process this shard's unfinished videos, then write the summary (and the list).

        Args:
            items (Sequence[VideoItem]): All videos of the input list (every shard gets the
                same list; each takes its share).
            shard (tuple[int, int]): ``(i, n)``, see :func:`parse_shard`. Defaults to (0, 1).
            out_list (str, optional): Annotation list to write once no video is pending.
            metainfo (dict, optional): ``metainfo`` of the input list, kept in the output.
            summary_path (str, optional): Summary JSON. Defaults to
                ``out_dir/preprocess_summary.json`` (``_shard-i-of-n`` added with shards).
            collect_only (bool): Process nothing; only write the summary and the list.
            allow_partial_list (bool): Write the list even while videos are pending (those
                are left out). Defaults to False.

        Returns:
            dict: The summary (also written to ``summary_path``).
        """
        i, n = shard
        # one output per .npz: a list may name a video twice (e.g. two sign instances)
        unique: Dict[str, VideoItem] = {}
        for item in items:
            unique.setdefault(item.sign_ann, item)
        todo = []
        if not collect_only:
            for k, (sign_ann, item) in enumerate(unique.items()):
                if k % n != i:
                    continue
                state, _ = read_video_state(self.out_dir, sign_ann)
                if self.overwrite or state == 'pending' or (state == 'failed'
                                                            and self.retry_failed):
                    todo.append(item)
        run = dict(processed=[], failed=[], frames=0, seconds=0.0, timings=defaultdict(float),
                   interrupted=False)
        started = time.perf_counter()
        try:
            if todo:
                print_log(f'shard {i}/{n}: {len(todo)} of {len(unique)} videos to process '
                          f'({len(unique) - len(todo)} finished or in other shards)', 'current')
                bar = ProgressBar(len(todo), file=sys.stdout)
                for item in todo:
                    self._process_one(item, run)
                    bar.update()
                sys.stdout.write('\n')
            elif not collect_only:
                print_log(f'shard {i}/{n}: nothing to do, every video of this shard is '
                          'finished', 'current')
        except KeyboardInterrupt:
            run['interrupted'] = True
            raise
        finally:
            run['seconds'] = time.perf_counter() - started
            summary = self._summarise(items, unique, shard, run, out_list, metainfo,
                                      allow_partial_list)
            if summary_path is None:
                name = 'preprocess_summary' + (f'_shard-{i}-of-{n}' if n > 1 else '') + '.json'
                summary_path = osp.join(self.out_dir, name)
            _write_json(summary_path, summary)
            summary['summary_path'] = summary_path
            self._print_summary(summary)
        return summary

    def _process_one(self, item: VideoItem, run: Dict[str, Any]) -> None:
        video = self.video_path(item)
        npz = osp.join(self.out_dir, item.sign_ann)
        base = dict(filename=item.filename, sign_ann=item.sign_ann, video=video,
                    settings=self.preprocessor.describe(), signmae_mm_version=__version__)
        t0 = time.perf_counter()
        try:
            ann = self.preprocessor.process(video)
            ann.save(npz)
        except PreprocessError as e:
            failure = dict(status='failed', stage=e.stage, error=str(e))
        except Exception as e:
            if self.fail_fast:
                raise
            print_log(f'{video}: unexpected error\n{traceback.format_exc()}', 'current',
                      level=30)
            failure = dict(status='failed', stage='internal',
                           error=f'{video}: {type(e).__name__}: {e}')
        else:
            meta = dict(base, status='done', **ann.meta, npz_bytes=osp.getsize(npz),
                        seconds=round(time.perf_counter() - t0, 3),
                        timings={k: round(v, 4) for k, v in ann.timings.items()},
                        finished_at=_now())
            _write_json(meta_path(self.out_dir, item.sign_ann), meta)
            run['processed'].append(item.filename)
            run['frames'] += ann.meta['total_frames']
            for k, v in ann.timings.items():
                run['timings'][k] += v
            return
        _write_json(meta_path(self.out_dir, item.sign_ann),
                          dict(base, **failure, finished_at=_now()))
        run['failed'].append(dict(filename=item.filename, stage=failure['stage'],
                                  error=failure['error']))

    def _summarise(self, items, unique, shard, run, out_list, metainfo,
                   allow_partial_list) -> Dict[str, Any]:
        states = {s: read_video_state(self.out_dir, s) for s in unique}
        counts = defaultdict(int)
        for state, _ in states.values():
            counts[state] += 1
        failures = [dict(filename=unique[s].filename, stage=m.get('stage'), error=m.get('error'))
                    for s, (state, m) in states.items() if state == 'failed']
        sources = defaultdict(int)
        fallbacks = []
        for s, (state, m) in states.items():
            if state == 'done':
                sources[m.get('part_map_source')] += 1
                if m.get('person_source') not in ('detector', 'mediapipe') or \
                        m.get('person_frames_filled'):
                    fallbacks.append(dict(
                        filename=unique[s].filename, person_source=m.get('person_source'),
                        person_frames_filled=m.get('person_frames_filled'),
                        total_frames=m.get('total_frames')))
        list_written = None
        if out_list and (counts['pending'] == 0 or allow_partial_list):
            entries = []
            for item in items:
                state, m = states[item.sign_ann]
                if state != 'done':
                    continue
                entry = dict(item.extra)
                entry.update(filename=item.filename, label=item.label, sign_ann=item.sign_ann,
                             total_frames=m['total_frames'], img_shape=m['img_shape'])
                entry.update({k: m[k] for k in LIST_META_KEYS if k in m})
                entries.append(entry)
            dump_annotation_list(out_list, entries, metainfo)
            list_written = dict(path=out_list, entries=len(entries))
        timings = dict(run['timings'])
        return dict(
            finished_at=_now(),
            shard=list(shard),
            out_dir=self.out_dir,
            videos=len(unique),
            done=counts['done'],
            failed=counts['failed'],
            pending=counts['pending'],
            part_map_sources=dict(sources),
            this_run=dict(
                processed=len(run['processed']), failed=len(run['failed']),
                interrupted=run['interrupted'], seconds=round(run['seconds'], 3),
                frames=run['frames'],
                fps={k: round(run['frames'] / v, 2) for k, v in timings.items() if v > 0},
                failures=run['failed']),
            failures=failures,
            person_fallbacks=fallbacks,
            annotation_list=list_written,
        )

    @staticmethod
    def _print_summary(summary: Dict[str, Any]) -> None:
        this = summary['this_run']
        lines = [f'this run: {this["processed"]} processed, {this["failed"]} failed '
                 f'({this["frames"]} frames in {this["seconds"]:.1f} s)',
                 f'all shards: {summary["done"]} done, {summary["failed"]} failed, '
                 f'{summary["pending"]} pending of {summary["videos"]} videos; part maps from '
                 f'{summary["part_map_sources"] or "-"}']
        for f in summary['failures'][:20]:
            lines.append(f'  failed [{f["stage"]}] {f["error"]}')
        if len(summary['failures']) > 20:
            lines.append(f'  ... {len(summary["failures"]) - 20} more')
        if summary['person_fallbacks']:
            lines.append(f'{len(summary["person_fallbacks"])} videos used a person-box fallback '
                         '(whole frame, or boxes filled in from neighbouring frames)')
        if summary['annotation_list']:
            lines.append(f'annotation list: {summary["annotation_list"]["path"]} '
                         f'({summary["annotation_list"]["entries"]} videos)')
        elif summary['pending']:
            lines.append('annotation list not written yet: videos are pending (other shards '
                         'still running, or an interrupted run); rerun, or use --collect once '
                         'every shard has finished')
        lines.append(f'summary: {summary["summary_path"]}')
        print_log('\n'.join(lines), 'current')


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec='seconds')
