"""The plugin works from an mmaction2 config through ``custom_imports``."""
import json
import subprocess
import sys
import textwrap

import signmae_mm

REGISTRIES = ('MODELS', 'TRANSFORMS', 'DATASETS', 'METRICS', 'HOOKS')


def _our_modules() -> dict:
    import mmaction.registry as registry

    found = {}
    for name in REGISTRIES:
        reg = getattr(registry, name)
        found[name] = sorted(k for k, v in reg.module_dict.items()
                             if getattr(v, '__module__', '').startswith('signmae_mm.'))
    return found


def test_public_classes_are_registered():
    import inspect

    from signmae_mm import datasets, models
    from signmae_mm.datasets import transforms
    from signmae_mm.evaluation import metrics

    from mmcv.transforms import BaseTransform
    from mmengine.dataset import BaseDataset
    from mmengine.evaluator import BaseMetric
    from torch import nn

    ours = _our_modules()
    kinds = ((models, nn.Module, 'MODELS'), (transforms, BaseTransform, 'TRANSFORMS'),
             (datasets, BaseDataset, 'DATASETS'), (metrics, BaseMetric, 'METRICS'))
    for pkg, base, reg in kinds:
        for name in getattr(pkg, '__all__', []):
            obj = getattr(pkg, name)
            if inspect.isclass(obj) and issubclass(obj, base):
                assert name in ours[reg], f'{pkg.__name__}.{name} is not in mmaction {reg}'


def test_custom_imports_registers_everything_into_mmaction(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(textwrap.dedent('''
        custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
        default_scope = 'mmaction'
        model = dict(
            type='Recognizer3D',
            backbone=dict(type='VisionTransformer', img_size=32, embed_dims=64, depth=1,
                          num_heads=2, num_frames=4, tubelet_size=2),
            cls_head=dict(type='TimeSformerHead', num_classes=3, in_channels=64),
            data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
        '''))
    code = textwrap.dedent(f'''
        import json, torch
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmengine.utils import import_modules_from_strings
        cfg = Config.fromfile({str(cfg)!r})
        import_modules_from_strings(**cfg.custom_imports)
        init_default_scope(cfg.default_scope)
        import mmaction.registry as registry
        model = registry.MODELS.build(cfg.model)
        feats = model(torch.rand(2, 1, 3, 4, 32, 32), mode='tensor')
        assert model.cls_head(feats).shape == (2, 3)
        found = {{n: sorted(k for k, v in getattr(registry, n).module_dict.items()
                            if getattr(v, '__module__', '').startswith('signmae_mm.'))
                 for n in {REGISTRIES!r}}}
        print(json.dumps(found))
        ''')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == _our_modules()


def test_version():
    assert signmae_mm.__version__.count('.') == 2
