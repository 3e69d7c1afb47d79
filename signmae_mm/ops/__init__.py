"""Compiled ops (optional: built by ``pip install -e .`` when a C compiler is present)."""
from .hand_arm_priority import (HAS_COMPILED_OPS, hand_arm_mask, hand_arm_priority,
                                select_by_priority)

__all__ = ['HAS_COMPILED_OPS', 'hand_arm_mask', 'hand_arm_priority', 'select_by_priority']
