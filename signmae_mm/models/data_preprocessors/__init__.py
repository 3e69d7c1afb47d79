"""Data preprocessors of SignMAE (registered in ``mmaction.registry.MODELS``)."""
from .masked_video_data_preprocessor import MaskedVideoDataPreprocessor, stack_token_masks

__all__ = ['MaskedVideoDataPreprocessor', 'stack_token_masks']
