"""``SignVideoDataset``: mmaction2's ``VideoDataset`` over a SignMAE annotation list."""
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Union

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmengine.utils import track_iter_progress

from .repeated_views import decode_step, prepare_repeated_views
from .sample_guard import SampleGuardMixin
from ..structures import SignAnnotationError, load_annotation_list, load_sign_annotation
from .transforms.sampling import SampleSignFrames

__all__ = ['SignVideoDataset']


@DATASETS.register_module()
class SignVideoDataset(SampleGuardMixin, VideoDataset):
    """Sign videos with per-video sign annotations (keypoints, person boxes, part maps).

    The annotation list is a JSON file in mmengine's standard layout (see
    ``docs/annotation_format.md``)::

        {"metainfo": {"part_groups": [...], "keypoint_layout": "coco_wholebody_133"},
         "data_list": [{"filename": "train/0001.mp4", "label": 3, "sign_ann": "train/0001.npz",
                        "total_frames": 72, "img_shape": [256, 320]}, ...]}

    ``filename`` is joined with ``data_prefix['video']`` and ``sign_ann`` with
    ``data_prefix['sign_ann']``. The per-video ``.npz`` is read lazily, per sample, by the
    ``LoadSignAnnotation`` transform, which checks it against the decoded video (frame count
    reported by the decoder, frame size) and fails naming the video and the mismatch. With
    ``check_videos=True`` the same check runs for every video when the dataset is built (it opens
    every video, a local file, and every annotation once: slow on a large set, meant for a
    one-off verification).

    Each sample's info holds ``filename``, ``label``, ``sign_ann``, ``ann_total_frames`` and
    ``ann_img_shape`` (the list's ``total_frames`` / ``img_shape``, renamed so that mmaction's
    decoders, which set ``total_frames`` / ``img_shape`` from the video, do not overwrite them),
    any extra keys of the entry, and ``test_mode`` (which ``HandMovementCheck`` reads so that it
    never drops a sample in testing).

    Frame ranges: an entry may say where its sign lies in the video with ``frame_start``
    (0-based, inclusive) and ``frame_end`` (0-based, exclusive; ``None`` or absent = to the end),
    as the converters of ``tools/convert_datasets.py`` write them. With ``use_frame_range`` on,
    such entries get ``frame_range = (frame_start, frame_end)`` in their info and the pipeline must
    sample inside it: a transform with ``honours_frame_range = True``
    (:class:`~signmae_mm.datasets.transforms.SampleSignFrames` in place of ``SampleFrames``),
    checked when the dataset is built. With it off the entries get no ``frame_range`` and the
    whole video is sampled (``frame_start`` / ``frame_end`` stay in the info, unused). The default
    (``None``) follows the list's ``metainfo['use_frame_range']`` (False when absent): the
    converters set it to what the dataset's videos are (True for Slovo, whose videos hold the sign
    between ``begin`` and ``end``; False for WLASL's processed, already cut ``videos/``).

    Reliability (:class:`~signmae_mm.datasets.SampleGuardMixin`): with indices from
    ``SeededSampler`` each sample's transforms are seeded from (seed, epoch, index), which makes
    resumed runs exact; with ``max_bad_ratio`` set, a sample that fails with a data error (a video
    that does not decode, an annotation that disagrees with its video, no usable keypoints with
    ``CheckSignKeypoints``) is logged, counted and replaced in training, until the bad share
    passes the limit. Test mode never replaces a sample.

    Args:
        ann_file (str): The annotation list (JSON).
        pipeline (list[dict | Callable]): Data transforms.
        data_prefix (dict): ``video`` and ``sign_ann`` folders.
            Defaults to ``dict(video='', sign_ann='')``.
        check_videos (bool): Open every video and annotation at build time and check them
            against each other. Defaults to False.
        max_bad_ratio (float, optional): In training, skip samples that fail with a data error
            and fail once more than this share of the samples loaded by the process were bad.
            None (default): every data error propagates at once.
        min_bad_count (int): Bad samples a process tolerates before ``max_bad_ratio`` is
            checked (so that one bad file early on does not stop a run). Defaults to 10.
        use_frame_range (bool, optional): Sample only inside each entry's
            ``frame_start``/``frame_end``. None (default): the list's
            ``metainfo['use_frame_range']``, False when absent.
        num_repeats (int): Views per video in training: the video is opened and decoded once
            and the transforms after the decoder run ``num_repeats`` times
            (:func:`~signmae_mm.datasets.repeated_views.prepare_repeated_views`); a sample is
            then a list of views, batched by ``collate_fn=dict(type='flatten_views_collate')``.
            Defaults to 1 (a sample is one dict).
        **kwargs: Other arguments of :class:`mmaction.datasets.VideoDataset` (``test_mode``,
            ``num_classes``, ``multi_class``, ``start_index``, ...).

    Raises:
        ValueError: ``use_frame_range`` is on and no pipeline transform honours frame ranges, or
            ``num_repeats > 1`` and the pipeline has no decoder transform.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: Dict[str, str] = dict(video='', sign_ann=''),
                 check_videos: bool = False,
                 max_bad_ratio: Optional[float] = None,
                 min_bad_count: int = 10,
                 use_frame_range: Optional[bool] = None,
                 num_repeats: int = 1,
                 **kwargs) -> None:
        data_prefix = dict(data_prefix)
        data_prefix.setdefault('video', '')
        data_prefix.setdefault('sign_ann', '')
        self.check_videos = check_videos
        # None until the list is read (its metainfo decides), then a bool
        self.use_frame_range = use_frame_range
        if not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError(f'num_repeats must be an int >= 1, got {num_repeats!r}')
        if num_repeats > 1 and kwargs.get('test_mode', False):
            raise ValueError('num_repeats > 1 is for training: evaluation scores each video once')
        self.num_repeats = num_repeats
        self._init_sample_guard(max_bad_ratio, min_bad_count)
        super().__init__(ann_file, pipeline=pipeline, data_prefix=data_prefix, **kwargs)
        # where the views part: found once, and a pipeline without a decoder fails here
        self._decode_index = (decode_step(self.pipeline.transforms) if num_repeats > 1 else None)

    def load_data_list(self) -> List[dict]:
        """Read the JSON annotation list and check every entry."""
        metainfo, raw_list = load_annotation_list(self.ann_file)
        for k, v in metainfo.items():
            self._metainfo.setdefault(k, v)
        if self.use_frame_range is None:
            self.use_frame_range = bool(self._metainfo.get('use_frame_range', False))
        self.use_frame_range = bool(self.use_frame_range)
        self._metainfo['use_frame_range'] = self.use_frame_range
        if self.use_frame_range:
            self._check_pipeline_honours_frame_range()
        data_list = [self.parse_data_info(raw, i) for i, raw in enumerate(raw_list)]
        if self.check_videos:
            for info in track_iter_progress(data_list):
                self._check_video(info)
        return data_list

    def parse_data_info(self, raw_data_info: Dict[str, Any], index: int = -1) -> dict:
        """Check one list entry and join its paths with ``data_prefix``.

        Args:
            raw_data_info (dict): One entry of ``data_list``.
            index (int): Its position, for error messages.

        Returns:
            dict: The sample's info.
        """
        where = f'{self.ann_file}, entry {index}'
        if not isinstance(raw_data_info, dict):
            raise SignAnnotationError(f'{where}: an entry must be an object, got '
                                      f'{type(raw_data_info).__name__}')
        info = dict(raw_data_info)
        name = info.get('filename')
        if not isinstance(name, str) or not name:
            raise SignAnnotationError(f'{where}: "filename" (the video) is missing')
        where = f'{self.ann_file}, entry {index} ({name})'
        if not isinstance(info.get('sign_ann'), str) or not info['sign_ann']:
            raise SignAnnotationError(f'{where}: "sign_ann" (the .npz with keypoints and part '
                                      'maps) is missing')
        label = info.get('label', -1)
        if self.multi_class:
            if not isinstance(label, list) or not all(isinstance(v, int) for v in label):
                raise SignAnnotationError(f'{where}: "label" must be a list of ints')
        elif not isinstance(label, int) or isinstance(label, bool):
            raise SignAnnotationError(f'{where}: "label" must be an int, got {label!r}')
        elif self.num_classes is not None and not -1 <= label < self.num_classes:
            raise SignAnnotationError(f'{where}: label {label} outside [0, {self.num_classes})')
        info['label'] = label
        if 'total_frames' in info:
            frames = info.pop('total_frames')
            if not isinstance(frames, int) or frames <= 0:
                raise SignAnnotationError(f'{where}: "total_frames" must be a positive int, '
                                          f'got {frames!r}')
            info['ann_total_frames'] = frames
        if 'img_shape' in info:
            shape = info.pop('img_shape')
            if (not isinstance(shape, (list, tuple)) or len(shape) != 2
                    or not all(isinstance(v, int) and v > 0 for v in shape)):
                raise SignAnnotationError(f'{where}: "img_shape" must be [height, width], '
                                          f'got {shape!r}')
            info['ann_img_shape'] = tuple(shape)
        info.pop('frame_range', None)
        if self.use_frame_range and ('frame_start' in info or 'frame_end' in info):
            start, end = info.get('frame_start', 0), info.get('frame_end')
            # order and bounds need the frame count: SampleSignFrames checks them per sample
            if (not isinstance(start, int) or isinstance(start, bool)
                    or not (end is None or isinstance(end, int) and not isinstance(end, bool))):
                raise SignAnnotationError(f'{where}: "frame_start" / "frame_end" must be ints '
                                          f'(frame_end may be null), got {start!r} / {end!r}')
            info['frame_range'] = (start, end)
        info['filename'] = osp.join(self.data_prefix['video'], name)
        info['sign_ann'] = osp.join(self.data_prefix['sign_ann'], info['sign_ann'])
        return info

    def prepare_data(self, idx: int) -> Union[dict, List[dict], None]:
        """The pipeline's result for one sample; with ``num_repeats > 1`` a list of views that
        share one decoding."""
        if self.num_repeats == 1:
            return super().prepare_data(idx)
        return prepare_repeated_views(self.pipeline.transforms, self.get_data_info(idx),
                                      self.num_repeats, self._decode_index)

    def get_data_info(self, idx: int) -> dict:
        """Sample info plus ``test_mode``."""
        info = super().get_data_info(idx)
        info['test_mode'] = self.test_mode
        return info

    def _check_pipeline_honours_frame_range(self) -> None:
        """Raise unless a pipeline transform samples inside ``frame_range``."""
        def honours(transform) -> bool:
            if getattr(transform, 'honours_frame_range', False):
                return True
            # wrappers (Compose, RandomChoice, ...) hold their transforms in ``transforms``
            inner = getattr(transform, 'transforms', None)
            return isinstance(inner, (list, tuple)) and any(honours(t) for t in inner)

        if not honours(self.pipeline):
            raise ValueError(
                f'{type(self).__name__} ({self.ann_file}): use_frame_range is on (the list\'s '
                'metainfo or the dataset argument) but no pipeline transform honours frame '
                "ranges; replace dict(type='SampleFrames', ...) by "
                "dict(type='SampleSignFrames', ...) (same arguments), or set "
                'use_frame_range=False on the dataset to sample whole videos')

    @staticmethod
    def _check_video(info: dict) -> None:
        """Check a video against its list entry and its ``.npz`` (frame count, frame size)."""
        import decord
        video = info['filename']
        try:
            reader = decord.VideoReader(video, num_threads=1)
        except Exception as e:  # decord raises its own error types
            raise SignAnnotationError(f'{video}: cannot open the video: {e}') from e
        total = len(reader)
        shape = tuple(reader[0].shape[:2])
        del reader
        if info.get('ann_total_frames', total) != total:
            raise SignAnnotationError(
                f'{video}: frame count mismatch: the annotation list says '
                f'{info["ann_total_frames"]} frames, the video has {total}')
        if 'frame_range' in info:
            SampleSignFrames.check_range(info['frame_range'], total, video)
        if tuple(info.get('ann_img_shape', shape)) != shape:
            raise SignAnnotationError(
                f'{video}: image size mismatch: the annotation list says '
                f'{tuple(info["ann_img_shape"])} (h, w), the video has {shape}')
        load_sign_annotation(
            info['sign_ann'], source=f'{video} ({info["sign_ann"]})', total_frames=total,
            img_shape=shape)
