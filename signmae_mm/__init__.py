"""SignMAE for mmaction2.

Importing this package (directly, or through a config's
``custom_imports = dict(imports=['signmae_mm'])``) first works around known defects of the
published OpenMMLab packages (:mod:`signmae_mm.compat`), then registers every module of ours into
mmaction2's registries (``mmaction.registry``), so configs use them with ``default_scope='mmaction'``.
"""
from .stack import require_mmcv

require_mmcv()

from .compat import apply_compat_fixes  # noqa: E402

apply_compat_fixes()

from . import datasets, models  # noqa: E402,F401  (registers our modules)
from . import engine  # noqa: E402,F401  (registers our hooks and file backend)
from . import evaluation  # noqa: E402,F401  (registers our metrics)
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apply_compat_fixes', 'datasets', 'models']
