"""Find the mmdet / mmpose configs that ship inside those packages, and their zoo weights."""
import glob
import importlib
import os.path as osp
from typing import Optional

__all__ = ['DEFAULT_DET_CONFIG', 'DEFAULT_POSE_CONFIG', 'resolve_model_config',
           'zoo_checkpoint_url']

#: RTMDet-m (COCO, 80 classes, person = class 0): the person detector of mmpose's own
#: top-down demos.
DEFAULT_DET_CONFIG = 'mmdet::rtmdet/rtmdet_m_8xb32-300e_coco.py'
#: RTMPose-l whole-body at 384x288: the 133-point model with the finest hands of mmpose 1.3.
DEFAULT_POSE_CONFIG = ('mmpose::wholebody_2d_keypoint/rtmpose/coco-wholebody/'
                       'rtmpose-l_8xb32-270e_coco-wholebody-384x288.py')


def _package_config_root(package: str) -> str:
    try:
        module = importlib.import_module(package)
    except ImportError as e:
        raise FileNotFoundError(f'cannot import {package} to look up its configs: {e}') from e
    root = osp.join(osp.dirname(module.__file__), '.mim', 'configs')
    if not osp.isdir(root):
        raise FileNotFoundError(f'{package} ships no configs ({root} does not exist)')
    return root


def resolve_model_config(name: str, package: Optional[str] = None) -> str:
    """Path of a model config given as a file, ``pkg::relative/path.py`` or a bare name.

    Args:
        name (str): An existing config file; ``'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'``
            (mim's notation, relative to the package's shipped ``configs``); or a bare config
            name such as ``'rtmdet_tiny_8xb32-300e_coco'`` (``.py`` optional), looked up in
            ``package``'s shipped configs.
        package (str, optional): Package to search bare names in (``'mmdet'``, ``'mmpose'``).

    Returns:
        str: Absolute path of the config file.

    Raises:
        FileNotFoundError: Naming what was looked for and where.
    """
    if osp.isfile(name):
        return osp.abspath(name)
    if '::' in name:
        package, rel = name.split('::', 1)
        path = osp.join(_package_config_root(package), rel)
        if not osp.isfile(path):
            raise FileNotFoundError(f'config {name!r}: {path} does not exist')
        return path
    if package is None:
        raise FileNotFoundError(f'config file {name!r} does not exist')
    base = name if name.endswith('.py') else name + '.py'
    if osp.dirname(base):  # a relative path inside the package's configs
        path = osp.join(_package_config_root(package), base)
        if osp.isfile(path):
            return path
    hits = sorted(glob.glob(osp.join(_package_config_root(package), '**', osp.basename(base)),
                            recursive=True))
    if len(hits) != 1:
        raise FileNotFoundError(
            f'config {name!r} is neither a file nor ' +
            (f'unique among the configs shipped with {package} ({hits})'
             if hits else f'a config shipped with {package}'))
    return hits[0]


def zoo_checkpoint_url(config_path: str) -> Optional[str]:
    """The model-zoo weights URL that the package's metafile gives for a shipped config.

    Only used to tell users which checkpoint file matches a config (nothing is downloaded).

    Args:
        config_path (str): A config file inside a package's shipped configs.

    Returns:
        str | None: The URL, or None when no metafile names the config.
    """
    import yaml
    folder, stem = osp.dirname(config_path), osp.splitext(osp.basename(config_path))[0]
    for meta in glob.glob(osp.join(folder, '*.yml')):
        try:
            with open(meta, encoding='utf-8') as f:
                content = yaml.safe_load(f)
        except Exception:  # a malformed metafile only costs us the hint
            continue
        models = content.get('Models', []) if isinstance(content, dict) else content
        for model in models or []:
            if not isinstance(model, dict):
                continue
            if osp.splitext(osp.basename(str(model.get('Config', ''))))[0] == stem:
                return model.get('Weights')
    return None
