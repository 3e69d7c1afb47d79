"""mmengine 0.10.7's ``pytorch`` launcher on machines without a GPU.

``mmengine.dist.utils._init_dist_pytorch`` (used by ``--launcher pytorch``: ``torchrun``, ``mim
train --launcher pytorch``) calls ``torch.cuda.set_device(local_rank)`` before
``init_process_group`` whatever the backend, so on a machine without a CUDA driver even a gloo run
fails with "Found no NVIDIA driver". Where CUDA is not available and the backend is ``gloo``,
the fix initialises the process group as mmengine would, without selecting a CUDA device; in every
other case mmengine's function runs unchanged.
"""
import functools
import inspect

import torch

__all__ = ['install_cpu_dist_launch']


def install_cpu_dist_launch() -> bool:
    """Let ``--launcher pytorch`` with the gloo backend run on a CPU-only machine.

    Returns:
        bool: True if mmengine's function was wrapped by this call.
    """
    from mmengine.dist import utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_signmae_cpu_dist', False):
        return False
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return False
    if 'torch.cuda.set_device' not in source:
        return False  # a sound mmengine: nothing to do

    @functools.wraps(original)
    def _init_dist_pytorch(backend, init_backend='torch', **kwargs) -> None:
        if torch.cuda.is_available() or backend != 'gloo' or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        # mmengine's CUDA branch minus set_device (RANK / WORLD_SIZE / MASTER_* come from the
        # launcher's environment, as there)
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch._signmae_cpu_dist = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch
    return True
