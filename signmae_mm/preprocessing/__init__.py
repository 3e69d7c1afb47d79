"""Preprocessing of raw sign videos into SignMAE sign annotations, and dataset converters.

Not imported by ``import signmae_mm`` (RTMDet / RTMPose need the full stack, MediaPipe the
``mediapipe`` extra; each is imported only when used); import it as
``signmae_mm.preprocessing``. The command-line tools are ``tools/preprocess.py`` and
``tools/convert_datasets.py``.
"""
from .dataset_converters import (ConvertedDataset, DatasetFormatError, check_videos, class_counts,
                                 convert_nmfs_csl, convert_slovo, convert_wlasl,
                                 format_class_counts, write_converted)
from .folder_converter import FOLDER_SPLITS, FOLDER_VIDEO_EXTENSIONS, convert_folder
from .errors import NoPersonError, PreprocessError, VideoDecodeError
from .mediapipe_holistic import (MEDIAPIPE_INSTALL_HINT, MEDIAPIPE_SOURCE, HolisticFrames,
                                 HolisticVideoPreprocessor, MediaPipeHolistic,
                                 MediaPipeNotInstalledError, SilhouetteKeypointPartMaps,
                                 holistic_to_coco_wholebody, import_mediapipe)
from .model_configs import (DEFAULT_DET_CONFIG, DEFAULT_POSE_CONFIG, resolve_model_config,
                            zoo_checkpoint_url)
from .part_maps import (SAPIENS_INPUT_SIZE, SAPIENS_MEAN, SAPIENS_STD, KeypointPartMaps,
                        PartMapSource, SapiensPartMaps, build_part_map_source,
                        load_segmentation_model)
from .person_detector import PersonDetector
from .pipeline import NO_PERSON_POLICIES, VideoAnnotation, VideoPreprocessor
from .pose_estimator import WholeBodyPoseEstimator
from .runner import PreprocessRunner, meta_path, parse_shard, read_video_state
from .signer_tracking import SignerTrack, fill_missing_boxes, track_signer, whole_frame_track
from .video_list import VideoItem, load_video_list
from .video_reader import VideoFrames

__all__ = [
    'ConvertedDataset', 'DatasetFormatError', 'check_videos', 'class_counts',
    'convert_folder', 'FOLDER_SPLITS', 'FOLDER_VIDEO_EXTENSIONS', 'convert_nmfs_csl',
    'convert_slovo', 'convert_wlasl', 'format_class_counts',
    'write_converted', 'NoPersonError', 'PreprocessError', 'VideoDecodeError',
    'DEFAULT_DET_CONFIG', 'DEFAULT_POSE_CONFIG', 'resolve_model_config', 'zoo_checkpoint_url',
    'SAPIENS_INPUT_SIZE', 'SAPIENS_MEAN', 'SAPIENS_STD', 'KeypointPartMaps', 'PartMapSource',
    'SapiensPartMaps', 'build_part_map_source', 'load_segmentation_model', 'PersonDetector',
    'NO_PERSON_POLICIES', 'VideoAnnotation', 'VideoPreprocessor', 'WholeBodyPoseEstimator',
    'PreprocessRunner', 'meta_path', 'parse_shard', 'read_video_state', 'SignerTrack',
    'fill_missing_boxes', 'track_signer', 'whole_frame_track', 'VideoItem', 'load_video_list',
    'VideoFrames', 'MEDIAPIPE_INSTALL_HINT', 'MEDIAPIPE_SOURCE', 'HolisticFrames',
    'HolisticVideoPreprocessor', 'MediaPipeHolistic', 'MediaPipeNotInstalledError',
    'SilhouetteKeypointPartMaps', 'holistic_to_coco_wholebody', 'import_mediapipe'
]
