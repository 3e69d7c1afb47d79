"""``LoadSignAnnotation``: the sampled clip's keypoints, person boxes and part maps."""
from typing import Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...structures import SignAnnotationError, load_sign_annotation

__all__ = ['LoadSignAnnotation']


@TRANSFORMS.register_module()
class LoadSignAnnotation(BaseTransform):
    """Load a video's sign annotation (``.npz``) and keep the frames of the sampled clip.

    Place it after ``SampleFrames`` (it needs ``frame_inds``) and after ``DecordInit`` (whose
    ``total_frames``, the decoder's frame count, it checks the annotation against); after
    ``DecordDecode`` it also checks the frame size (``original_shape``), otherwise the masks check
    it later. Arrays stay in the video's pixel frame: the mask transforms map them through the
    recorded crop / resize / flip.

    Clips longer than the video: mmaction2's ``SampleFrames`` loops (or repeats the last frame,
    ``out_of_bound_opt``); the annotation is indexed with the same ``frame_inds``, so keypoints and
    part maps stay aligned with the repeated frames, and ``sign_repeated_frames`` is set True.

    Required keys: ``sign_ann``, ``frame_inds``, ``total_frames``; optional ``start_index``,
    ``original_shape``, ``ann_total_frames``, ``ann_img_shape`` (from ``SignVideoDataset``),
    ``filename`` (named in errors).

    Added keys:

    - ``sign_keypoints``: ``(T, 133, 2)`` float32, pixels of the original frame.
    - ``sign_keypoint_scores``: ``(T, 133)`` float32.
    - ``sign_person_bboxes``: ``(T, 4)`` float32 ``(x1, y1, x2, y2)``; zeros = no person.
    - ``sign_part_maps``: ``(T, 7, Gh, Gw)`` uint8, 255 = cell fully covered.
    - ``sign_img_shape``: ``(h, w)`` of the annotated frames.
    - ``sign_part_map_source``: str.
    - ``sign_repeated_frames``: bool, the clip repeats frames (video shorter than the clip).
    - ``sign_nonfinite_keypoints``: int, non-finite keypoints set to undetected (``'ignore'``).
    - with ``with_pose_keys=True`` also mmaction2's pose keys ``keypoint`` ``(1, T, 133, 2)`` and
      ``keypoint_score`` ``(1, T, 133)``, which mmaction2's non-lazy crop / resize / flip
      transforms then move with the frames (for heatmap streams). Undetected points have
      coordinates 0, which mmaction2's ``Flip`` leaves in place (it treats x == 0 as missing).

    Args:
        nonfinite_keypoints (str): ``'error'`` (default): NaN / inf keypoint scores, or
            coordinates of detected points, raise an error naming the video. ``'ignore'``: such
            points get score 0 and coordinates 0 (undetected), counted in
            ``sign_nonfinite_keypoints``.
        with_pose_keys (bool): Also write ``keypoint`` / ``keypoint_score``. Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments for the ``.npz``.
    """

    def __init__(self,
                 nonfinite_keypoints: str = 'error',
                 with_pose_keys: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if nonfinite_keypoints not in ('error', 'ignore'):
            raise ValueError("nonfinite_keypoints must be 'error' or 'ignore', got "
                             f'{nonfinite_keypoints!r}')
        self.nonfinite_keypoints = nonfinite_keypoints
        self.with_pose_keys = with_pose_keys
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Load, check and slice the annotation of ``results['sign_ann']``."""
        video = results.get('filename', '<unknown video>')
        path = results.get('sign_ann')
        if not path:
            raise SignAnnotationError(f'{video}: no "sign_ann" (annotation file) in the sample; '
                                      'use SignVideoDataset with an annotation list that has it')
        if 'frame_inds' not in results or 'total_frames' not in results:
            raise KeyError(f'LoadSignAnnotation: {video}: needs "frame_inds" and "total_frames"; '
                           'place it after DecordInit and SampleFrames')
        source = f'{video} (sign annotation {path})'
        inds = np.asarray(results['frame_inds']).reshape(-1) - results.get('start_index', 0)
        if inds.size == 0:
            raise SignAnnotationError(f'{source}: the clip has no frame indices')
        # only the clip's frames are read out, made dense and checked for non-finite values
        ann = load_sign_annotation(
            path, self.backend_args, source=source, total_frames=results['total_frames'],
            img_shape=results.get('original_shape'),
            allow_nonfinite=self.nonfinite_keypoints == 'ignore', frames=inds)
        if results.get('ann_total_frames', results['total_frames']) != results['total_frames']:
            # the file has the video's frame count (checked by the loader): the list is stale
            raise SignAnnotationError(f'{source}: frame count mismatch: the annotation list says '
                                      f'{results["ann_total_frames"]}, the .npz has '
                                      f'{results["total_frames"]}')
        if tuple(results.get('ann_img_shape', ann['img_shape'])) != ann['img_shape']:
            raise SignAnnotationError(f'{source}: image size mismatch: the annotation list says '
                                      f'{tuple(results["ann_img_shape"])} (h, w), the .npz '
                                      f'has {ann["img_shape"]}')
        kps, scores = ann['keypoints'], ann['keypoint_scores']
        # undetected points may carry NaN coordinates (validation allows it when their score is
        # 0); with 'ignore' NaN scores and detected points with NaN coordinates join them
        nonfinite = ~np.isfinite(scores) | ~np.isfinite(kps).all(-1)
        bad = int((nonfinite & ~(scores == 0)).sum())
        if nonfinite.any():
            scores = np.where(nonfinite, 0, scores).astype(np.float32)
            kps = np.where(nonfinite[..., None], 0, kps).astype(np.float32)
        results['sign_keypoints'] = kps
        results['sign_keypoint_scores'] = scores
        results['sign_person_bboxes'] = ann['person_bboxes']
        results['sign_part_maps'] = ann['part_maps']
        results['sign_img_shape'] = ann['img_shape']
        results['sign_part_map_source'] = str(ann.get('part_map_source', 'unknown'))
        results['sign_repeated_frames'] = bool(np.unique(inds).size < inds.size)
        results['sign_nonfinite_keypoints'] = bad
        if self.with_pose_keys:
            results['keypoint'] = kps[None].copy()
            results['keypoint_score'] = scores[None].copy()
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(nonfinite_keypoints={self.nonfinite_keypoints!r}, '
                f'with_pose_keys={self.with_pose_keys})')
