"""Small helpers shared by the whole package."""
from .atomic_write import TMP_PREFIX, atomic_open, atomic_path, atomic_write, is_temporary

__all__ = ['TMP_PREFIX', 'atomic_open', 'atomic_path', 'atomic_write', 'is_temporary']
