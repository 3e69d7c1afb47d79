"""The preprocessing of a run, built from plain options (the options of ``tools/preprocess.py``).

:func:`build_pose_source` and :func:`build_part_maps` make the two plugs of
:class:`~.pipeline.VideoAnnotator`; :func:`check_checkpoints` is the rule that a model runs with
random weights only when asked to.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

from .model_configs import (DEFAULT_DET_CONFIG, DEFAULT_POSE_CONFIG, resolve_model_config,
                            zoo_checkpoint_url)
from .part_maps import GridSize, PartMapSource, build_part_map_source
from .pose_source import PersonPoseSource

__all__ = ['POSE_BACKENDS', 'build_pose_source', 'build_part_maps', 'check_checkpoints']

#: ``'mmpose'``: RTMDet person boxes + top-down RTMPose; ``'mediapipe'``: MediaPipe Holistic.
POSE_BACKENDS = ('mmpose', 'mediapipe')


def check_checkpoints(det_config: str, det_checkpoint: Optional[str], pose_config: str,
                      pose_checkpoint: Optional[str], random_weights: bool = False) -> None:
    """Refuse a missing checkpoint unless ``random_weights``, naming the model-zoo weights.

    Args:
        det_config (str): Detector config (see :func:`resolve_model_config`).
        det_checkpoint (str, optional): Detector weights.
        pose_config (str): Pose config.
        pose_checkpoint (str, optional): Pose weights.
        random_weights (bool): Allow a missing checkpoint (tests and benchmarks). Defaults to
            False.

    Raises:
        ValueError: A checkpoint is missing (without ``random_weights``) or is not a file.
    """
    for kind, config, ckpt in (('det', det_config, det_checkpoint),
                               ('pose', pose_config, pose_checkpoint)):
        if ckpt is None and not random_weights:
            path = resolve_model_config(config, 'mmdet' if kind == 'det' else 'mmpose')
            url = zoo_checkpoint_url(path) or "see the metafile in the config's folder"
            raise ValueError(
                f'--{kind}-checkpoint is required: without it the {kind} model has random '
                f'weights (pass --random-weights for tests). The model zoo weights for '
                f'{osp.basename(path)}: {url}')
        if ckpt is not None and not osp.isfile(ckpt):
            raise ValueError(f'--{kind}-checkpoint {ckpt} does not exist')


def build_pose_source(backend: str = 'mmpose',
                      device: str = 'cpu',
                      det_config: str = DEFAULT_DET_CONFIG,
                      det_checkpoint: Optional[str] = None,
                      det_cfg_options: Optional[dict] = None,
                      det_score_thr: float = 0.3,
                      det_input_size: Optional[Union[int, Tuple[int, int]]] = None,
                      pose_config: str = DEFAULT_POSE_CONFIG,
                      pose_checkpoint: Optional[str] = None,
                      pose_cfg_options: Optional[dict] = None,
                      mp_min_detection_confidence: float = 0.5,
                      mp_min_tracking_confidence: float = 0.5) -> PersonPoseSource:
    """The person / pose source of a run.

    Args:
        backend (str): One of :data:`POSE_BACKENDS`. Defaults to ``'mmpose'``.
        device (str): Torch device of the mmdet / mmpose models. Defaults to ``'cpu'``.
        det_config, det_checkpoint, det_cfg_options, det_score_thr, det_input_size: The
            :class:`~.person_detector.PersonDetector` (``config``, ``checkpoint``,
            ``cfg_options``, ``score_thr``, ``input_size``); ``'mmpose'`` only.
        pose_config, pose_checkpoint, pose_cfg_options: The
            :class:`~.pose_estimator.WholeBodyPoseEstimator`; ``'mmpose'`` only.
        mp_min_detection_confidence, mp_min_tracking_confidence: Thresholds of
            :class:`~.mediapipe_holistic.MediaPipeHolistic`; ``'mediapipe'`` only.

    Returns:
        PersonPoseSource: :class:`~.pose_source.TopDownPoseSource` or
        :class:`~.mediapipe_holistic.MediaPipeHolistic`.

    Raises:
        MediaPipeNotInstalledError / FullStackNotInstalledError: The backend's packages are
            missing.
    """
    if backend == 'mediapipe':
        from .mediapipe_holistic import MediaPipeHolistic
        return MediaPipeHolistic(min_detection_confidence=mp_min_detection_confidence,
                                 min_tracking_confidence=mp_min_tracking_confidence)
    if backend != 'mmpose':
        raise ValueError(f'pose backend must be one of {POSE_BACKENDS}, got {backend!r}')
    from .person_detector import PersonDetector
    from .pose_estimator import WholeBodyPoseEstimator
    from .pose_source import TopDownPoseSource
    detector = PersonDetector(det_config, det_checkpoint, device, det_cfg_options,
                              score_thr=det_score_thr, input_size=det_input_size)
    pose = WholeBodyPoseEstimator(pose_config, pose_checkpoint, device, pose_cfg_options)
    return TopDownPoseSource(detector, pose)


def build_part_maps(kind: str = 'auto',
                    sapiens: Optional[str] = None,
                    grid_size: GridSize = 32,
                    device: str = 'cpu',
                    silhouette: bool = False,
                    kpt_thr: float = 0.3,
                    sapiens_input_size: Sequence[int] = (1024, 768),
                    sapiens_dtype: Optional[str] = None,
                    batch_size: int = 16) -> PartMapSource:
    """The part-map source of a run.

    Args:
        kind (str): ``'sapiens'``, ``'keypoints'`` or ``'auto'``: Sapiens when ``sapiens`` is
            given, else keypoint part maps, trimmed to the person silhouette when
            ``silhouette``. Defaults to ``'auto'``.
        sapiens (str, optional): Sapiens segmentation model file.
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        device (str): Torch device of the Sapiens model. Defaults to ``'cpu'``.
        silhouette (bool): The pose source gives silhouettes (MediaPipe): ``'auto'`` without
            Sapiens then means :class:`~.silhouette_part_maps.SilhouetteKeypointPartMaps`.
            Defaults to False.
        kpt_thr (float): Keypoint score threshold of keypoint part maps. Defaults to 0.3.
        sapiens_input_size (Sequence[int]): Sapiens input ``(H, W)``. Defaults to
            (1024, 768).
        sapiens_dtype (str, optional): Sapiens input dtype. Defaults to the model's.
        batch_size (int): Sapiens crops per forward pass. Defaults to 16.

    Returns:
        PartMapSource: The part maps.
    """
    grid = (grid_size, grid_size) if isinstance(grid_size, int) else tuple(grid_size)
    if kind == 'auto' and not sapiens and silhouette:
        from .silhouette_part_maps import SilhouetteKeypointPartMaps
        return SilhouetteKeypointPartMaps(grid, kpt_thr=kpt_thr)
    if kind == 'auto':
        kind = 'sapiens' if sapiens else 'keypoints'
    extra = (dict(input_size=tuple(sapiens_input_size), dtype=sapiens_dtype,
                  batch_size=batch_size) if kind == 'sapiens' else dict(kpt_thr=kpt_thr))
    return build_part_map_source(kind, sapiens, grid, device, **extra)
