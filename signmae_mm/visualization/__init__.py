"""Figures of what the models do (reconstructions of masked clips).

Not imported by ``signmae_mm`` itself (it pulls in OpenCV drawing code that training does not
need): ``from signmae_mm.visualization import reconstruct``.
"""
from .reconstruction import (BANNER_HEIGHT, HEADER_HEIGHT, LABEL_WIDTH, MASK_GREY, ROW_NAMES,
                             draw_reconstruction, figure_size, reconstruct, unpatchify)

__all__ = [
    'BANNER_HEIGHT', 'HEADER_HEIGHT', 'LABEL_WIDTH', 'MASK_GREY', 'ROW_NAMES',
    'draw_reconstruction', 'figure_size', 'reconstruct', 'unpatchify'
]
