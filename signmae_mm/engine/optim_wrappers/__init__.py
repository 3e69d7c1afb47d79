from .cpu_autocast_optim_wrapper import CPUAutocastOptimWrapper, cpu_bf16_supported

__all__ = ['CPUAutocastOptimWrapper', 'cpu_bf16_supported']
