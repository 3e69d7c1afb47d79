"""Keep ``import mmaction.models`` working beside transformers 5.

mmaction2 1.2.0 imports its VindLU multimodal models whenever ``transformers>=4.28`` is
installed, and those import ``apply_chunking_to_forward`` from ``transformers.modeling_utils``,
which transformers 5 removed: the whole of ``mmaction.models`` then fails to import. When the
installed transformers lacks that function we switch mmaction's multimodal flag off before
``mmaction.models`` is imported; mmaction then registers its own placeholders, which raise a
clear error if someone builds a multimodal model. Nothing changes with transformers 4.x or
without transformers.
"""
import importlib.util
import sys
from importlib import metadata

__all__ = ['disable_broken_multimodal']


def _transformers_lacks_chunking() -> bool:
    if importlib.util.find_spec('transformers') is None:
        return False
    try:
        major = int(metadata.version('transformers').split('.')[0])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if major < 5:
        return False  # cheap path: importing transformers costs seconds
    from transformers import modeling_utils
    return not hasattr(modeling_utils, 'apply_chunking_to_forward')


def disable_broken_multimodal() -> bool:
    """Set ``mmaction.utils.dependency.WITH_MULTIMODAL = False`` if VindLU cannot import.

    Returns:
        bool: True if the flag was switched off by this call.
    """
    if 'mmaction.models' in sys.modules:
        return False  # too late to matter, and it imported fine
    from mmaction.utils import dependency
    if not dependency.WITH_MULTIMODAL or not _transformers_lacks_chunking():
        return False
    dependency.WITH_MULTIMODAL = False
    return True
