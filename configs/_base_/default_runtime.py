# Runtime shared by SignMAE's configs: mmaction2's defaults, plus the plugin import.
_base_ = ['mmaction::_base_/default_runtime.py']

# `import signmae_mm` applies its compatibility fixes and registers our modules into mmaction2's
# registries (`mim train` needs the package installed: pip install -e .).
custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

randomness = dict(seed=0, diff_rank_seed=True)

# Reliable long runs (docs/distributed.md): checkpoints written atomically (a kill while saving
# never leaves a corrupt file that --resume would pick), and the train step's random numbers
# drawn from (seed, rank, iteration), so that a resumed run repeats the uninterrupted one.
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
custom_hooks = [dict(type='StepSeedHook')]
