"""Data transforms of SignMAE (registered in ``mmaction.registry.TRANSFORMS``)."""

__all__ = []
