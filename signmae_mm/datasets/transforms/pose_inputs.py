"""Glue for heatmap inputs: keypoint-only clips, and samples holding RGB frames and heatmaps.

* ``ImgShapeFromAnnotation``: a keypoint-only clip (no frames decoded) gets ``img_shape`` from
  its sign annotation, so that mmaction2's ``Resize`` / crops / ``Flip`` move its keypoints
  exactly as they move the frames of an RGB clip of the same video.
* ``ClipLenPerModality``: mmaction2's ``FormatShape('NCTHW')`` formats ``heatmap_imgs`` beside
  ``imgs`` only when ``clip_len`` is a per-modality dict (as ``MMUniformSampleFrames`` makes it);
  ``SampleFrames`` gives an int. Frames and heatmaps of one sample share their frames.
"""
from typing import Sequence

from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

__all__ = ['ImgShapeFromAnnotation', 'ClipLenPerModality']


@TRANSFORMS.register_module()
class ImgShapeFromAnnotation(BaseTransform):
    """Set the frame geometry of a keypoint-only clip from its sign annotation.

    Place it after ``LoadSignAnnotation`` in a pipeline that decodes no frames (a heatmap
    stream), before the spatial transforms. If frames were decoded, ``img_shape`` is already
    there and must agree with the annotation (this transform then only checks).

    Required keys: ``sign_img_shape`` ``(h, w)`` (from ``LoadSignAnnotation``).
    Added keys: ``img_shape``, ``original_shape`` (both ``(h, w)``, if absent).
    """

    def transform(self, results: dict) -> dict:
        """Copy ``sign_img_shape`` to ``img_shape`` / ``original_shape``."""
        if 'sign_img_shape' not in results:
            raise KeyError(f'ImgShapeFromAnnotation: {results.get("filename", "<sample>")}: '
                           'no "sign_img_shape"; place it after LoadSignAnnotation')
        shape = tuple(int(v) for v in results['sign_img_shape'])
        if 'img_shape' in results and tuple(results['img_shape']) != shape:
            raise ValueError(f'ImgShapeFromAnnotation: {results.get("filename", "<sample>")}: '
                             f'img_shape is already {tuple(results["img_shape"])}, the annotation '
                             f'says {shape}; place it before the spatial transforms')
        results.setdefault('img_shape', shape)
        results.setdefault('original_shape', shape)
        return results


@TRANSFORMS.register_module()
class ClipLenPerModality(BaseTransform):
    """Turn an int ``clip_len`` into ``{modality: clip_len}`` for multi-modal formatting.

    Place it right before ``FormatShape('NCTHW')`` in a pipeline whose samples hold ``imgs`` and
    ``heatmap_imgs`` drawn from the same sampled frames (``GeneratePoseTarget`` writes
    ``heatmap_imgs`` when ``imgs`` exist). ``FormatShape`` reads ``clip_len['RGB']`` for the
    frames and ``clip_len['Pose']`` for the heatmaps.

    Required keys: ``clip_len`` (int or dict). Modified keys: ``clip_len``.

    Args:
        modalities (Sequence[str]): Keys of the dict. Defaults to ``('RGB', 'Pose')``.
    """

    def __init__(self, modalities: Sequence[str] = ('RGB', 'Pose')) -> None:
        self.modalities = tuple(modalities)

    def transform(self, results: dict) -> dict:
        """Replace an int ``clip_len`` by a per-modality dict."""
        clip_len = results['clip_len']
        if isinstance(clip_len, dict):
            missing = [m for m in self.modalities if m not in clip_len]
            if missing:
                raise KeyError(f'ClipLenPerModality: clip_len {clip_len} lacks {missing}')
            return results
        results['clip_len'] = {m: int(clip_len) for m in self.modalities}
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(modalities={self.modalities})'
