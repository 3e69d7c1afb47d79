"""Preprocessing of raw sign videos into SignMAE sign annotations, and dataset converters.

Not imported by ``import signmae_mm`` (RTMDet / RTMPose need the full stack, MediaPipe the
``mediapipe`` extra; each is imported only when used); import it as
``signmae_mm.preprocessing``. The command-line tools are ``tools/preprocess.py`` and
``tools/convert_datasets.py``.

One video -> its annotation: :class:`VideoAnnotator` (``pipeline.py``), one loop whatever the
person / pose source (``pose_source.py``: RTMDet + RTMPose, or ``mediapipe_holistic.py``) and
the part-map source (``part_maps.py``); over a list of videos: :class:`PreprocessRunner`
(``runner.py``: shards, resume, failure records).
"""
from .builder import POSE_BACKENDS, build_part_maps, build_pose_source, check_checkpoints
from .converted_dataset import (ConvertedDataset, DatasetFormatError, check_videos, class_counts,
                                format_class_counts, write_converted)
from .dataset_converters import convert_nmfs_csl, convert_slovo, convert_wlasl
from .errors import NoPersonError, PreprocessError, VideoDecodeError
from .folder_converter import FOLDER_SPLITS, FOLDER_VIDEO_EXTENSIONS, convert_folder
from .holistic_keypoints import MEDIAPIPE_SOURCE, holistic_to_coco_wholebody
from .mediapipe_holistic import (MEDIAPIPE_INSTALL_HINT, HolisticFrames, MediaPipeHolistic,
                                 MediaPipeNotInstalledError, import_mediapipe)
from .model_configs import (DEFAULT_DET_CONFIG, DEFAULT_POSE_CONFIG, resolve_model_config,
                            zoo_checkpoint_url)
from .part_maps import (SAPIENS_INPUT_SIZE, SAPIENS_MEAN, SAPIENS_STD, KeypointPartMaps,
                        PartMapSource, SapiensPartMaps, build_part_map_source,
                        load_segmentation_model)
from .person_detector import PersonDetector
from .pipeline import (NO_PERSON_POLICIES, HolisticVideoPreprocessor, VideoAnnotation,
                       VideoAnnotator, VideoPreprocessor)
from .pose_estimator import WholeBodyPoseEstimator
from .pose_source import PersonPoseSource, PoseFrames, TopDownPoseSource
from .runner import PreprocessRunner, meta_path, parse_shard, read_video_state
from .signer_tracking import SignerTrack, fill_missing_boxes, track_signer, whole_frame_track
from .silhouette_part_maps import SilhouetteKeypointPartMaps
from .video_list import VideoItem, VideoListRun, load_video_list, resolve_video_list
from .reencode import (ReencodedVideo, ReencodeError, reencode_annotation_lists, reencode_video,
                       reencode_videos)
from .video_reader import VideoFrames

__all__ = [
    # one video -> its sign annotation, and the two plugs of the loop
    'VideoAnnotator', 'VideoAnnotation', 'NO_PERSON_POLICIES', 'PersonPoseSource', 'PoseFrames',
    'TopDownPoseSource', 'PersonDetector', 'WholeBodyPoseEstimator', 'MediaPipeHolistic',
    'HolisticFrames', 'PartMapSource', 'KeypointPartMaps', 'SapiensPartMaps',
    'SilhouetteKeypointPartMaps',
    # building a run; running it over a list of videos
    'POSE_BACKENDS', 'build_pose_source', 'build_part_maps', 'build_part_map_source',
    'check_checkpoints', 'PreprocessRunner', 'meta_path', 'parse_shard', 'read_video_state',
    'VideoItem', 'VideoListRun', 'load_video_list', 'resolve_video_list', 'VideoFrames',
    # pieces
    'SignerTrack', 'fill_missing_boxes', 'track_signer', 'whole_frame_track',
    'NoPersonError', 'PreprocessError', 'VideoDecodeError', 'DEFAULT_DET_CONFIG',
    'DEFAULT_POSE_CONFIG', 'resolve_model_config', 'zoo_checkpoint_url', 'SAPIENS_INPUT_SIZE',
    'SAPIENS_MEAN', 'SAPIENS_STD', 'load_segmentation_model', 'MEDIAPIPE_INSTALL_HINT',
    'MEDIAPIPE_SOURCE', 'MediaPipeNotInstalledError', 'holistic_to_coco_wholebody',
    'import_mediapipe',
    # kept for old code: VideoAnnotator over a detector + pose model, or over Holistic
    'VideoPreprocessor', 'HolisticVideoPreprocessor',
    # dataset converters
    'ConvertedDataset', 'DatasetFormatError', 'check_videos', 'class_counts',
    'format_class_counts', 'write_converted', 'convert_wlasl', 'convert_slovo',
    'convert_nmfs_csl', 'convert_folder', 'FOLDER_SPLITS', 'FOLDER_VIDEO_EXTENSIONS',
    # videos re-encoded to decode fast for training
    'ReencodeError', 'ReencodedVideo', 'reencode_video', 'reencode_videos',
    'reencode_annotation_lists'
]
