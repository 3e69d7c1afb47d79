"""Figures of what the models and the pipelines do: masked clips and reconstructions.

Not imported by ``signmae_mm`` itself (it pulls in OpenCV drawing code that training does not
need): ``from signmae_mm.visualization import reconstruct``.
"""
from .config_sample import override_pipeline, packed_sample, run_transforms, sample_transforms
from .masks import PART_COLOURS, draw_masks, write_mp4, write_png
from .pretrainer import CheckpointMismatchError, load_pretrainer, load_pretrainer_checkpoint
from .reconstruction import (BANNER_HEIGHT, HEADER_HEIGHT, LABEL_WIDTH, MASK_GREY, ROW_NAMES,
                             draw_reconstruction, figure_size, reconstruct, stack_images,
                             unpatchify)

__all__ = [
    'BANNER_HEIGHT', 'HEADER_HEIGHT', 'LABEL_WIDTH', 'MASK_GREY', 'ROW_NAMES',
    'draw_reconstruction', 'figure_size', 'reconstruct', 'stack_images', 'unpatchify',
    'override_pipeline', 'packed_sample', 'run_transforms', 'sample_transforms', 'PART_COLOURS',
    'draw_masks', 'write_mp4', 'write_png', 'CheckpointMismatchError', 'load_pretrainer',
    'load_pretrainer_checkpoint'
]
