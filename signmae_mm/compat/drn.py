"""Stand-in for ``mmaction.models.localizers.drn``, missing from the mmaction2 1.2.0 wheel.

The published wheel and sdist of mmaction2 1.2.0 ship without the package
``mmaction/models/localizers/drn``, yet ``mmaction/models/localizers/__init__.py`` imports it,
so ``import mmaction.models`` (and every model build through the registry) fails with
``ModuleNotFoundError``. We add an import finder at the *end* of ``sys.meta_path``: it is asked
only after the regular finders failed, so it does nothing when the installed mmaction2 has the
real package. The stand-in registers a ``DRN`` that raises a clear error when built.
"""
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Optional, Sequence

__all__ = ['DRN_PACKAGE', 'DRNUnavailableError', 'install_drn_stub']

DRN_PACKAGE = 'mmaction.models.localizers.drn'
_DRN_MODULE = DRN_PACKAGE + '.drn'


class DRNUnavailableError(ImportError):
    """Raised when the stand-in DRN localizer is built."""


def _unavailable_drn_class() -> type:
    from mmaction.registry import MODELS

    class DRN:
        """Placeholder for mmaction2's DRN localizer, absent from the installed package."""

        def __init__(self, *args, **kwargs) -> None:
            raise DRNUnavailableError(
                'DRN is not available: the installed mmaction2 package lacks '
                f'`{DRN_PACKAGE}` (a packaging defect of the mmaction2 1.2.0 wheel). '
                'signmae_mm put a placeholder there so that the rest of mmaction.models '
                'imports. To use DRN, install mmaction2 from its source repository.')

    DRN.__module__ = _DRN_MODULE
    # Mirror the real package, whose import registers DRN; never shadow a real registration.
    if MODELS.get('DRN') is None:
        MODELS.register_module(name='DRN', module=DRN)
    return DRN


class _DRNStubLoader(importlib.abc.Loader):

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[ModuleType]:
        return None  # default module creation

    def exec_module(self, module: ModuleType) -> None:
        module.__doc__ = ('Placeholder installed by signmae_mm.compat.drn: the installed '
                          'mmaction2 lacks this package.')
        module.__signmae_stub__ = True
        if module.__name__ == DRN_PACKAGE:
            module.__path__ = []  # a package, so that `.drn.drn` can be imported
        else:
            module.DRN = _unavailable_drn_class()
            module.__all__ = ['DRN']


class _DRNStubFinder(importlib.abc.MetaPathFinder):

    def find_spec(self,
                  fullname: str,
                  path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None
                  ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in (DRN_PACKAGE, _DRN_MODULE):
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _DRNStubLoader(), is_package=fullname == DRN_PACKAGE)


def install_drn_stub() -> bool:
    """Put the DRN stand-in finder at the end of ``sys.meta_path`` (once).

    Returns:
        bool: True if the finder was added by this call.
    """
    if any(isinstance(f, _DRNStubFinder) for f in sys.meta_path):
        return False
    sys.meta_path.append(_DRNStubFinder())
    return True
