"""Build of the optional compiled op (metadata lives in setup.cfg).

``signmae_mm.ops._hand_arm_priority`` is a plain C extension against the Python headers (no
NumPy or torch headers). ``optional=True``: without a C compiler the install still succeeds and
``SegmentGuidedHandMask`` uses its NumPy path (same masks, slower).
"""
from setuptools import Extension, setup

setup(ext_modules=[
    Extension(
        'signmae_mm.ops._hand_arm_priority',
        sources=['signmae_mm/ops/csrc/hand_arm_priority.c'],
        extra_compile_args=['-O3', '-std=c99'],
        optional=True)
])
