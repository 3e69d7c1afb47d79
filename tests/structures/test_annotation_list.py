"""The annotation list: reading, writing (atomically), and lists written by older mains."""
import json
import os
from pathlib import Path

import pytest

from signmae_mm.structures import (FORMAT_VERSION, PART_GROUPS, SignAnnotationError,
                                   dump_annotation_list, load_annotation_list)

LEGACY = Path(__file__).parents[1] / 'data' / 'legacy'


def test_annotation_list_errors(tmp_path):
    with pytest.raises(SignAnnotationError, match='nope.json does not exist'):
        load_annotation_list(str(tmp_path / 'nope.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('[1, 2]')
    with pytest.raises(SignAnnotationError, match='bad.json must be a JSON object'):
        load_annotation_list(str(bad))
    bad.write_text(json.dumps(dict(metainfo=dict(part_groups=['a']), data_list=[])))
    with pytest.raises(SignAnnotationError, match='bad.json: part_groups'):
        load_annotation_list(str(bad))


def test_dump_fills_the_format_keys_and_writes_atomically(tmp_path):
    entries = [dict(filename='a.mp4', label=3, sign_ann='a.npz', total_frames=9)]
    path = dump_annotation_list(str(tmp_path / 'sub' / 'train.json'), entries,
                                metainfo=dict(classes=['x'], format='overridden'))
    metainfo, data_list = load_annotation_list(path)
    assert data_list == entries and metainfo['classes'] == ['x']
    assert metainfo['format'] == 'signmae_mm.sign_annotation'
    assert metainfo['format_version'] == FORMAT_VERSION
    assert tuple(metainfo['part_groups']) == PART_GROUPS
    assert os.listdir(tmp_path / 'sub') == ['train.json']  # no temporary left behind


def test_a_list_written_by_an_older_main_loads():
    metainfo, data_list = load_annotation_list(str(LEGACY / 'annotation_list.json'))
    assert metainfo == dict(classes=['hello', 'thanks'], format='signmae_mm.sign_annotation',
                            format_version=2, keypoint_layout='coco_wholebody_133',
                            part_groups=list(PART_GROUPS))
    assert data_list == [
        dict(filename='videos/a.mp4', label=0, sign_ann='sign_ann_v2.npz', total_frames=5,
             img_shape=[48, 64]),
        dict(filename='videos/b.mp4', label=1, sign_ann='sign_ann_v1.npz', total_frames=5,
             img_shape=[48, 64], frame_range=[1, 4]),
    ]
