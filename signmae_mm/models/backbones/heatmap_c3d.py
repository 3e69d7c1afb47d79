"""``HeatmapC3D``: a light 3D CNN for keypoint-heatmap volumes (PoseC3D's SlowOnly ResNet)."""
from typing import Sequence

from mmaction.models.backbones import ResNet3dSlowOnly
from mmaction.registry import MODELS
from torch import Tensor

__all__ = ['HeatmapC3D']


@MODELS.register_module()
class HeatmapC3D(ResNet3dSlowOnly):
    """The keypoint-heatmap encoder of SignMAE: PoseC3D's SlowOnly ResNet3d for sign heatmaps.

    A stock mmaction2 ``ResNet3dSlowOnly`` (so it runs in ``Recognizer3D`` with ``I3DHead``, and
    every argument of ``ResNet3d`` still applies) with PoseC3D's light configuration as defaults
    -- 3 stages of (4, 6, 3) bottlenecks, 32 base channels, no temporal downsampling before the
    last stage, 2D convolutions in the first stage -- sized for our inputs: 63 heatmap channels
    (NLA-SLR's keypoints) at 112x112, where a stride-2 stem brings the maps to PoseC3D's 56x56.
    For 56x56 heatmaps set ``conv1_stride_s=1``.

    Shapes: input ``(N, in_channels, T, H, W)``; output ``(N, out_channels, T', H / 16, W / 16)``
    for the default strides (``T' = T / 2``), ``out_channels = base_channels * 2 ** (num_stages
    - 1) * 4`` (512 by default), which is the ``in_channels`` of the head.

    Args:
        in_channels (int): Heatmap channels: keypoints (``SelectKeypoints``) plus limbs, if
            ``GeneratePoseTarget(with_limb=True)``. Defaults to 63.
        depth (int): ResNet depth (bottleneck type). Defaults to 50.
        base_channels (int): Channels of the stem. Defaults to 32.
        num_stages (int): Residual stages. Defaults to 3.
        stage_blocks (Sequence[int]): Blocks per stage. Defaults to ``(4, 6, 3)``.
        out_indices (Sequence[int]): Stages whose output is returned. Defaults to ``(2, )``.
        conv1_kernel (Sequence[int]): Stem kernel ``(t, h, w)``. Defaults to ``(1, 7, 7)``.
        conv1_stride_s (int): Spatial stride of the stem. Defaults to 2 (112x112 input).
        pool1_stride_s (int): Spatial stride of the stem pooling. Defaults to 1.
        inflate (Sequence[int]): Temporal kernels per stage (0: 2D). Defaults to ``(0, 1, 1)``.
        spatial_strides (Sequence[int]): Defaults to ``(2, 2, 2)``.
        temporal_strides (Sequence[int]): Defaults to ``(1, 1, 2)``.
        dilations (Sequence[int]): Defaults to ``(1, 1, 1)``.
        **kwargs: Other arguments of ``ResNet3dSlowOnly`` / ``ResNet3d`` (``norm_cfg``,
            ``frozen_stages``, ``init_cfg``, ...).
    """

    def __init__(self,
                 in_channels: int = 63,
                 depth: int = 50,
                 base_channels: int = 32,
                 num_stages: int = 3,
                 stage_blocks: Sequence[int] = (4, 6, 3),
                 out_indices: Sequence[int] = (2, ),
                 conv1_kernel: Sequence[int] = (1, 7, 7),
                 conv1_stride_s: int = 2,
                 pool1_stride_s: int = 1,
                 inflate: Sequence[int] = (0, 1, 1),
                 spatial_strides: Sequence[int] = (2, 2, 2),
                 temporal_strides: Sequence[int] = (1, 1, 2),
                 dilations: Sequence[int] = (1, 1, 1),
                 **kwargs) -> None:
        kwargs.setdefault('pretrained', None)
        super().__init__(
            depth=depth,
            in_channels=in_channels,
            base_channels=base_channels,
            num_stages=num_stages,
            stage_blocks=tuple(stage_blocks),
            out_indices=tuple(out_indices),
            conv1_kernel=tuple(conv1_kernel),
            conv1_stride_s=conv1_stride_s,
            pool1_stride_s=pool1_stride_s,
            inflate=tuple(inflate),
            spatial_strides=tuple(spatial_strides),
            temporal_strides=tuple(temporal_strides),
            dilations=tuple(dilations),
            **kwargs)

    @property
    def out_channels(self) -> int:
        """Channels of the last stage's output (the head's ``in_channels``)."""
        return self.base_channels * 2**(self.num_stages - 1) * self.block.expansion

    def forward(self, x: Tensor) -> Tensor:
        """Encode heatmap volumes.

        Args:
            x (Tensor): ``(N, in_channels, T, H, W)`` heatmaps.

        Returns:
            Tensor | tuple[Tensor]: The outputs of the stages in ``out_indices``, each
            ``(N, C, T', H', W')``; a single tensor when there is one.
        """
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'HeatmapC3D expects (N, {self.in_channels}, T, H, W) heatmaps, got '
                f'{tuple(x.shape)}; the channels are the keypoints of SelectKeypoints (plus limbs '
                'with GeneratePoseTarget(with_limb=True)): set backbone.in_channels to match')
        return super().forward(x)
