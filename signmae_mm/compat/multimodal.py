"""Keep ``import mmaction.models`` working when mmaction2's VindLU models cannot import.

mmaction2 1.2.0 imports its VindLU multimodal models whenever ``transformers>=4.28`` is
installed (``mmaction.utils.dependency.WITH_MULTIMODAL``), but VindLU also needs ``timm``,
``einops`` and ``scipy``, which it does not check, and ``apply_chunking_to_forward`` from
``transformers.modeling_utils``, which transformers 5 removed. Either gap makes the whole of
``mmaction.models`` fail to import. In that case we switch the flag off before
``mmaction.models`` is imported; mmaction then registers its own placeholders, which raise a
clear error if someone builds a multimodal model. Nothing changes when VindLU can import or
when transformers is absent (the flag is already off).
"""
import importlib.util
import sys
from importlib import metadata

__all__ = ['disable_broken_multimodal', 'multimodal_import_problem']

#: Third-party modules that mmaction2's VindLU imports besides transformers and torch.
VINDLU_REQUIREMENTS = ('timm', 'einops', 'scipy')


def multimodal_import_problem() -> str:
    """Why mmaction2's VindLU models would fail to import, or ``''`` if they would not.

    Returns:
        str: The missing requirement, or ``''``.
    """
    missing = [m for m in VINDLU_REQUIREMENTS if importlib.util.find_spec(m) is None]
    if missing:
        return f'missing {", ".join(missing)}'
    try:
        major = int(metadata.version('transformers').split('.')[0])
    except (metadata.PackageNotFoundError, ValueError):
        return ''
    if major < 5:
        return ''  # cheap path: importing transformers costs seconds
    from transformers import modeling_utils
    if not hasattr(modeling_utils, 'apply_chunking_to_forward'):
        return 'transformers.modeling_utils lacks apply_chunking_to_forward'
    return ''


def disable_broken_multimodal() -> bool:
    """Set ``mmaction.utils.dependency.WITH_MULTIMODAL = False`` if VindLU cannot import.

    Returns:
        bool: True if the flag was switched off by this call.
    """
    if 'mmaction.models' in sys.modules:
        return False  # too late to matter, and it imported fine
    from mmaction.utils import dependency
    if not dependency.WITH_MULTIMODAL or not multimodal_import_problem():
        return False
    dependency.WITH_MULTIMODAL = False
    return True
