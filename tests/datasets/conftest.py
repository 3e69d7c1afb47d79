"""Fixtures of the dataset / transform tests (helpers live in ``_sign_clips``)."""
from pathlib import Path
from typing import Callable, Dict, Sequence

import pytest
from _sign_clips import GRID, H, W, draw_sign_clip

from signmae_mm.structures import (dump_annotation_list, part_maps_from_label_map,
                                   save_sign_annotation)
from signmae_mm.testing import write_video


@pytest.fixture
def make_sign_sample(tmp_path) -> Callable[..., Dict]:
    """Return ``make(name, num_frames=16, motion='moving', seed=0, **overrides) -> dict``.

    Writes ``videos/<name>.mp4`` and ``anns/<name>.npz`` under ``tmp_path``; ``overrides``
    replace arrays of the annotation before saving (``part_maps``, ``img_shape``, ...). The dict
    has ``video``, ``ann`` (paths), ``entry`` (annotation-list entry, paths relative to the
    ``videos`` / ``anns`` folders), ``hand_boxes`` and the drawn arrays.
    """

    def make(name: str = 'clip', num_frames: int = 16, motion: str = 'moving', seed: int = 0,
             label: int = 0, **overrides) -> Dict:
        clip = draw_sign_clip(num_frames, motion, seed)
        video = write_video(tmp_path / 'videos' / f'{name}.mp4', clip['frames'])
        arrays = dict(
            keypoints=clip['keypoints'], keypoint_scores=clip['scores'],
            person_bboxes=clip['boxes'],
            part_maps=part_maps_from_label_map(clip['labels'], GRID), img_shape=(H, W),
            part_map_source='synthetic')
        arrays.update(overrides)
        ann = tmp_path / 'anns' / f'{name}.npz'
        save_sign_annotation(str(ann), **arrays)
        entry = dict(filename=f'{name}.mp4', label=label, sign_ann=f'{name}.npz',
                     total_frames=num_frames, img_shape=[H, W])
        return dict(clip, video=video, ann=ann, entry=entry, arrays=arrays)

    return make


@pytest.fixture
def write_list(tmp_path) -> Callable[..., Path]:
    """Return ``write(entries, name='list.json') -> Path`` (an annotation list file)."""

    def write(entries: Sequence[Dict], name: str = 'list.json') -> Path:
        return Path(dump_annotation_list(str(tmp_path / name), entries))

    return write


@pytest.fixture
def data_prefix(tmp_path) -> Dict[str, str]:
    return dict(video=str(tmp_path / 'videos'), sign_ann=str(tmp_path / 'anns'))
