"""Kept for old imports: the sign annotation format moved to :mod:`signmae_mm.structures`.

``from signmae_mm.datasets.sign_annotation import ...`` keeps working with every name it had
(preprocessing code and user scripts import it); new code imports :mod:`signmae_mm.structures`.
"""
from ..structures import *  # noqa: F401,F403
from ..structures import __all__  # noqa: F401
# the private helpers under their old names, for code that reached into the module
from ..structures.part_maps import dense_part_maps as _dense_part_maps  # noqa: F401
from ..structures.part_maps import sparse_part_maps as _sparse_part_maps  # noqa: F401
from ..structures.sign_annotation_format import fail as _fail  # noqa: F401
from ..structures.sign_annotation_io import _NPY_HEADER, _read_npz  # noqa: F401
