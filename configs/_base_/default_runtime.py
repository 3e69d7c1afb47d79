# Runtime shared by SignMAE's configs: mmaction2's defaults, plus the plugin import.
_base_ = ['mmaction::_base_/default_runtime.py']

# `import signmae_mm` applies its compatibility fixes and registers our modules into mmaction2's
# registries (`mim train` needs the package installed: pip install -e .).
custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

randomness = dict(seed=0, diff_rank_seed=True)
