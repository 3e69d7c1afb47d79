"""Datasets and data transforms of SignMAE."""
from . import transforms  # noqa: F401

__all__ = ['transforms']
