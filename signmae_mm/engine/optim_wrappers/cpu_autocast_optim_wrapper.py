"""Mixed precision on the CPU: bfloat16 autocast around the heavy modules of a training step.

mmengine's ``AmpOptimWrapper`` is for accelerators only (it asserts CUDA, NPU, MLU or MUSA).
On a CPU with native bfloat16 matrix instructions (AVX512-BF16 or AMX), running the backbone
(and a pretrainer's decoder) under ``torch.autocast('cpu', dtype=torch.bfloat16)`` makes a small
ViT's training step 1.3-1.5x faster on the demo (``benchmarks/bench_demo_step.py``). Weights,
gradients and optimiser state stay float32; the modules' outputs are cast back to float32, so
heads, losses and mmaction2's accuracy logging (which goes through NumPy, which has no bfloat16)
run as before, and no loss scaling is needed.
"""
from contextlib import ExitStack, contextmanager
from typing import Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmaction.registry import OPTIM_WRAPPERS

__all__ = ['CPUAutocastOptimWrapper', 'cpu_bf16_supported']


def cpu_bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 matrix products natively (oneDNN's check)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _to_float(x):
    if isinstance(x, torch.Tensor):
        return x.float() if x.dtype == torch.bfloat16 else x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_float(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_float(v) for k, v in x.items()}
    return x


@contextmanager
def _autocast_forward(module: torch.nn.Module):
    """``module``'s forward under bfloat16 autocast, its outputs cast back to float32."""
    forward = module.forward

    def autocast_forward(*args, **kwargs):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = forward(*args, **kwargs)
        return _to_float(out)

    module.forward = autocast_forward
    try:
        yield
    finally:
        del module.forward  # the class's forward again


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose training steps run the model's heavy modules in CPU bfloat16.

    Args:
        enabled (bool | str): ``True``: always (emulated, and slower, on CPUs without native
            bfloat16); ``'auto'``: only where :func:`cpu_bf16_supported` (elsewhere float32,
            said once in the log); ``False``: never. Defaults to ``'auto'``.
        modules (Sequence[str]): Attributes of the model run under autocast, where present.
            Defaults to ``('backbone', 'neck')`` (a recognizer's encoder; a pretrainer's
            encoder and decoder; heads and losses stay float32).
        **kwargs: The arguments of ``OptimWrapper`` (``optimizer``, ``clip_grad``, ...).
    """

    def __init__(self,
                 enabled: Union[bool, str] = 'auto',
                 modules: Sequence[str] = ('backbone', 'neck'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if enabled not in (True, False, 'auto'):
            raise ValueError(f"CPUAutocastOptimWrapper: enabled must be True, False or 'auto', "
                             f'got {enabled!r}')
        self.enabled = cpu_bf16_supported() if enabled == 'auto' else bool(enabled)
        self.modules = tuple(modules)
        if enabled == 'auto' and not self.enabled:
            print_log('CPUAutocastOptimWrapper: this CPU has no native bfloat16 matrix '
                      'products; training in float32', logger='current')

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        """The parent's context (gradient accumulation), plus autocast of ``modules`` when
        enabled and the model is on the CPU."""
        model = getattr(model, 'module', model)  # a wrapped (distributed) model's own
        on_cpu = next(model.parameters()).device.type == 'cpu'
        with super().optim_context(model), ExitStack() as stack:
            if self.enabled and on_cpu:
                for name in self.modules:
                    module = getattr(model, name, None)
                    if isinstance(module, torch.nn.Module):
                        stack.enter_context(_autocast_forward(module))
            yield
