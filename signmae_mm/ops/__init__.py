"""The hand-arm mask's algorithm and its sampling steps.

:mod:`.hand_arm` is the method and the one choice of backend (:func:`hand_arm_token_mask` over a
:class:`HandArmSpec`); :mod:`.hand_arm_numpy` is its NumPy reference, :mod:`.hand_arm_priority`
the optional compiled op (built by ``pip install -e .`` when a C compiler is present);
:mod:`.token_sampling` holds the random draws that every token mask uses.
"""
from .hand_arm import (BACKENDS, HandArmMask, HandArmSpec, hand_arm_backend, hand_arm_coverage,
                       hand_arm_token_mask)
from .hand_arm_priority import (HAS_COMPILED_OPS, hand_arm_mask, hand_arm_priority,
                                select_by_priority)
from .token_sampling import (floyd_subset, random_mask, round_half_up, sample_distinct,
                             topped_up_tube_mask, tube_mask)

__all__ = [
    'BACKENDS', 'HandArmMask', 'HandArmSpec', 'hand_arm_backend', 'hand_arm_coverage',
    'hand_arm_token_mask', 'HAS_COMPILED_OPS', 'hand_arm_mask', 'hand_arm_priority',
    'select_by_priority', 'floyd_subset', 'random_mask', 'round_half_up', 'sample_distinct',
    'topped_up_tube_mask', 'tube_mask'
]
