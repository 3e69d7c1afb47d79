"""Small real inputs for tests, smoke runs and benchmarks (no network, no weights)."""
from .synthetic_part_maps import signer_part_maps
from .synthetic_videos import make_video_dataset, moving_square_frames, write_video

__all__ = ['make_video_dataset', 'moving_square_frames', 'write_video', 'signer_part_maps']
