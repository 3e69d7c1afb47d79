"""Data preprocessors of SignMAE (registered in ``mmaction.registry.MODELS``)."""
from .masked_video_data_preprocessor import MaskedVideoDataPreprocessor

__all__ = ['MaskedVideoDataPreprocessor']
