"""A gallery that names signs without training: a few embedded clips per sign, and each query
clip's signs ranked by cosine similarity (dictionary retrieval)."""
import os.path as osp
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch.nn as nn

from .encoder import encoder_identity
from .features import SignFeatures, embed_videos
from .npz_format import FormatError, json_array, load_json, load_npz, save_npz, text_array

__all__ = ['GALLERY_MODES', 'SignGallery', 'make_gallery']

GALLERY_FORMAT = 'signmae_mm.sign_gallery'
GALLERY_VERSION = 1
#: How a sign is scored from its clips (see :class:`SignGallery`).
GALLERY_MODES = ('prototype', 'knn')

Embeddings = Union[np.ndarray, SignFeatures]


def _normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero rather than turning into NaN)."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32)


def _describe(encoder: Dict[str, Any]) -> str:
    """``config + checkpoint (sha256 ..., weights ..., D-d)``, what is known of it."""
    facts = [f'sha256 {encoder["checkpoint_sha256"]}' if encoder.get('checkpoint_sha256') else '',
             f'weights {encoder.get("weights_sha256")}',
             f'{encoder["embed_dim"]}-d' if encoder.get('embed_dim') else '']
    return (f'{encoder.get("config")} + {encoder.get("checkpoint")} '
            f'({", ".join(f for f in facts if f)})')


class SignGallery:
    """Signs named by a few clips each, retrieved by cosine similarity.

    Each clip's embedding is L2-normalised and kept under its sign. A query (normalised too)
    scores every sign:

    * ``mode='prototype'`` (default): the cosine similarity to the sign's prototype, the mean
      of its normalised clips, renormalised (nearest class mean, robust with few clips);
    * ``mode='knn'``: the mean similarity of the sign's ``k`` nearest clips (all of them when it
      has fewer); ``k=1`` is the nearest neighbour, the best similarity of the sign's clips.

    Adding or removing a sign touches that sign's clips and prototype only; nothing is
    trained. The gallery keeps the identity of the encoder that embedded its clips and refuses
    embeddings of another encoder or of another size.

    Args:
        encoder (dict): The encoder's identity (:attr:`SignFeatures.encoder`), with
            ``embed_dim``.
        mode (str): One of :data:`GALLERY_MODES`. Defaults to ``'prototype'``.
        k (int): Clips per sign of the ``'knn'`` score. Defaults to 1.
    """

    def __init__(self, encoder: Dict[str, Any], mode: str = 'prototype', k: int = 1) -> None:
        if mode not in GALLERY_MODES:
            raise ValueError(f'gallery mode must be one of {GALLERY_MODES}, got {mode!r}')
        if int(k) < 1:
            raise ValueError(f'k must be >= 1, got {k}')
        if not isinstance(encoder.get('embed_dim'), int):
            raise ValueError(f'the encoder identity needs its embed_dim, got {encoder}')
        self.encoder = dict(encoder)
        self.mode = mode
        self.k = int(k)
        self.source = 'in memory'  # the file it was loaded from, for messages
        self._clips: Dict[str, np.ndarray] = {}  # sign -> (n, D), rows of unit length
        self._names: Dict[str, List[str]] = {}  # sign -> its clips' names
        self._prototypes: Dict[str, np.ndarray] = {}  # sign -> (D, ) unit length

    @classmethod
    def from_features(cls,
                      features: SignFeatures,
                      mode: str = 'prototype',
                      k: int = 1,
                      classes: Optional[Sequence[str]] = None) -> 'SignGallery':
        """A gallery of labelled embeddings: one sign per label, in label order.

        Args:
            features (SignFeatures): Embeddings with labels (no -1).
            mode (str): See the class. Defaults to ``'prototype'``.
            k (int): See the class. Defaults to 1.
            classes (Sequence[str], optional): Sign names, index = label; default:
                ``features.classes``, else the label numbers.

        Returns:
            SignGallery: The gallery.
        """
        if (features.labels < 0).any():
            unlabelled = [n for n, v in zip(features.names, features.labels) if v < 0]
            raise ValueError(f'{len(unlabelled)} gallery clips have no label (e.g. '
                             f'{unlabelled[0]}): a gallery needs the sign of every clip')
        names = list(classes if classes is not None else features.classes)
        gallery = cls(features.encoder, mode, k)
        for label in np.unique(features.labels):
            if label < len(names):
                sign = names[label]
            else:
                sign = str(label)
            rows = features.labels == label
            gallery.add(sign, features.features[rows],
                        [n for n, r in zip(features.names, rows) if r])
        return gallery

    @property
    def signs(self) -> List[str]:
        """The signs, in the order of the score columns."""
        return list(self._clips)

    @property
    def embed_dim(self) -> int:
        """The embedding size."""
        return int(self.encoder['embed_dim'])

    def __len__(self) -> int:
        return len(self._clips)

    def clips(self, sign: str) -> np.ndarray:
        """``(n, D)`` the sign's normalised clip embeddings (a copy)."""
        return self._clips[self._known(sign)].copy()

    def clip_names(self, sign: str) -> List[str]:
        """The names of the sign's clips."""
        return list(self._names[self._known(sign)])

    def prototype(self, sign: str) -> np.ndarray:
        """``(D,)`` the sign's prototype (a copy)."""
        return self._prototypes[self._known(sign)].copy()

    def check_encoder(self, encoder: Dict[str, Any], what: str = 'the queries') -> None:
        """Refuse embeddings of another encoder or size than the gallery's.

        Args:
            encoder (dict): Their encoder identity.
            what (str): What they are, for the message.

        Raises:
            ValueError: The encoders differ (their weights' sha256) or embed to another size
                (when known); the message names both.
        """
        # an encoder that has embedded nothing yet does not know its size: its weights decide
        if encoder.get('embed_dim') not in (None, self.embed_dim):
            raise ValueError(f'gallery {self.source} holds {self.embed_dim}-d embeddings of '
                             f'{_describe(self.encoder)}; {what} are {encoder.get("embed_dim")}'
                             f'-d embeddings of {_describe(encoder)}')
        if encoder.get('weights_sha256') != self.encoder.get('weights_sha256'):
            raise ValueError(f'gallery {self.source} was made with another encoder, '
                             f'{_describe(self.encoder)}; {what} come from '
                             f'{_describe(encoder)}: build the gallery with this encoder')

    def add(self, sign: str, features: Embeddings,
            names: Optional[Sequence[str]] = None) -> None:
        """Add clips of a sign (a new sign, or more clips of a known one).

        Args:
            sign (str): The sign's name.
            features (np.ndarray | SignFeatures): ``(n, D)`` (or ``(D,)``) embeddings of its
                clips; a :class:`SignFeatures` is checked to come from the gallery's encoder.
            names (Sequence[str], optional): The clips' names (default: a
                :class:`SignFeatures`' names, else ``'<sign>#<i>'``).
        """
        sign = str(sign)
        if not sign:
            raise ValueError('a sign needs a name')
        x = self._embeddings(features, f'the clips of {sign!r}')
        if names is None:
            names = features.names if isinstance(features, SignFeatures) else [
                f'{sign}#{i}' for i in range(len(self._names.get(sign, [])),
                                             len(self._names.get(sign, [])) + len(x))]
        names = [str(n) for n in names]
        if len(names) != len(x) or not len(x):
            raise ValueError(f'{sign!r}: {len(x)} clips and {len(names)} names (at least one '
                             'clip needed)')
        clips = np.concatenate([self._clips[sign], x]) if sign in self._clips else x
        self._clips[sign] = clips
        self._names[sign] = self._names.get(sign, []) + names
        self._prototypes[sign] = _normalise(clips.mean(0))

    def remove(self, sign: str) -> None:
        """Remove a sign and its clips."""
        sign = self._known(sign)
        del self._clips[sign], self._names[sign], self._prototypes[sign]

    def scores(self, features: Embeddings) -> np.ndarray:
        """Cosine scores of queries for every sign (the gallery's mode).

        Args:
            features (np.ndarray | SignFeatures): ``(Q, D)`` (or ``(D,)``) query embeddings.

        Returns:
            np.ndarray: ``(Q, S)`` float32 in ``[-1, 1]``; column ``j`` is ``signs[j]``.
        """
        q = self._embeddings(features, 'the queries')
        if not self._clips:
            raise ValueError(f'gallery {self.source} holds no sign')
        if self.mode == 'prototype':
            return q @ np.stack(list(self._prototypes.values())).T
        columns = []
        for clips in self._clips.values():
            sims = q @ clips.T  # (Q, n)
            k = min(self.k, sims.shape[1])
            columns.append(-np.sort(-sims, axis=1)[:, :k].mean(1))
        return np.stack(columns, axis=1).astype(np.float32)

    def query(self, features: Embeddings, top_k: int = 5) -> List[List[Tuple[str, float]]]:
        """The best signs of each query.

        Args:
            features (np.ndarray | SignFeatures): ``(Q, D)`` (or ``(D,)``) query embeddings.
            top_k (int): Signs per query. Defaults to 5.

        Returns:
            list[list[tuple[str, float]]]: Per query, ``(sign, similarity)`` best first (ties
            in the gallery's order).
        """
        scores = self.scores(features)
        signs = self.signs
        order = np.argsort(-scores, axis=1, kind='stable')[:, :top_k]
        return [[(signs[j], float(row[j])) for j in idx] for row, idx in zip(scores, order)]

    def save(self, path: Union[str, Path]) -> str:
        """Write the gallery (``.npz``, no pickles, all or nothing).

        The file holds ``features`` ``(M, D)`` float32 (every clip, normalised),
        ``clip_signs`` and ``clip_names`` ``(M,)``, ``signs`` ``(S,)`` (the column order) as
        unicode arrays, ``encoder`` as a JSON string, ``mode``, ``k``, and ``format`` /
        ``format_version``.

        Returns:
            str: ``path``.
        """
        dim = self.embed_dim
        features = np.concatenate(list(self._clips.values())) if self._clips else np.zeros(
            (0, dim), np.float32)
        return save_npz(str(path), GALLERY_FORMAT, GALLERY_VERSION, dict(
            features=features,
            clip_signs=text_array([s for s, c in self._clips.items() for _ in range(len(c))]),
            clip_names=text_array([n for names in self._names.values() for n in names]),
            signs=text_array(self.signs), encoder=json_array(self.encoder),
            mode=np.asarray(self.mode, dtype=np.str_), k=np.asarray(self.k, dtype=np.int64)))

    @classmethod
    def load(cls, path: Union[str, Path]) -> 'SignGallery':
        """Read a gallery written by :meth:`save` (``allow_pickle=False``).

        Raises:
            FileNotFoundError: No such file.
            FormatError: It is not a gallery (a ``ValueError`` naming the file and what it is).
        """
        data = load_npz(str(path), GALLERY_FORMAT, 'a sign gallery', GALLERY_VERSION,
                        ('features', 'clip_signs', 'clip_names', 'signs', 'encoder', 'mode',
                         'k'))
        try:
            gallery = cls(load_json(data['encoder']), str(data['mode']), int(data['k']))
            clip_signs = data['clip_signs'].tolist()
            for sign in data['signs'].tolist():
                rows = np.array([s == sign for s in clip_signs], dtype=bool)
                gallery.add(sign, data['features'][rows],
                            [n for n, r in zip(data['clip_names'].tolist(), rows) if r])
        except (ValueError, KeyError, TypeError) as e:
            raise FormatError(f'{path} is a broken sign gallery: {e}') from None
        gallery.source = str(path)
        return gallery

    def _known(self, sign: str) -> str:
        if sign not in self._clips:
            raise KeyError(f'sign {sign!r} is not in gallery {self.source} '
                           f'({len(self)} signs)')
        return sign

    def _embeddings(self, features: Embeddings, what: str) -> np.ndarray:
        """Checked, normalised ``(n, D)`` rows."""
        if isinstance(features, SignFeatures):
            self.check_encoder(features.encoder, what)
            features = features.features
        x = np.asarray(features, dtype=np.float32)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != self.embed_dim:
            raise ValueError(f'gallery {self.source} holds {self.embed_dim}-d embeddings of '
                             f'{_describe(self.encoder)}; {what} have shape {x.shape}')
        if not np.isfinite(x).all():
            raise ValueError(f'{what}: embeddings must be finite')
        return _normalise(x)


def make_gallery(model: nn.Module,
                 source: str,
                 *,
                 mode: Optional[str] = None,
                 k: Optional[int] = None,
                 video_root: Optional[str] = None,
                 sign_ann_root: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 batch_size: int = 16,
                 progress: bool = True) -> SignGallery:
    """A gallery for ``model``'s embeddings, from one of three sources.

    * a folder ``ROOT/<sign>/<clip>.mp4`` (:func:`~signmae_mm.apis.videos_from_sign_folders`):
      its clips are embedded, one sign per sub-folder;
    * an annotation list with labels (:func:`~signmae_mm.apis.videos_from_list`), its sign
      names from ``classes`` or the list's ``metainfo['classes']``;
    * a saved gallery (``.npz``), checked to come from the model's encoder.

    A file is a list by its extension (``.json``, ``.txt``) or, without one of these or
    ``.npz``, when it holds text; anything else is read as a saved gallery.

    A clip that does not decode stops the building, named: a gallery is built whole.

    Args:
        model (nn.Module): From :func:`~signmae_mm.apis.init_sign_encoder`.
        source (str): Folder, list or ``.npz``.
        mode (str, optional): See :class:`SignGallery`; default: a saved gallery's own, else
            ``'prototype'``.
        k (int, optional): Clips per sign of ``'knn'``; default: a saved gallery's, else 1.
        video_root (str, optional): Folder of a list's videos (default: the list's folder).
        sign_ann_root (str, optional): Folder of a list's sign annotations.
        classes (Sequence[str], optional): A list's sign names.
        batch_size (int): Videos per forward pass. Defaults to 16.
        progress (bool): Show a progress bar while embedding. Defaults to True.

    Returns:
        SignGallery: The gallery.

    Raises:
        FileNotFoundError / ValueError: The source is missing, a clip does not decode, a file
            is not a gallery or comes from another encoder (all naming the file).
    """
    from .file_checks import describe_file
    from .video_sets import videos_from_list, videos_from_sign_folders
    if mode is not None and mode not in GALLERY_MODES:
        raise ValueError(f'gallery mode must be one of {GALLERY_MODES}, got {mode!r}')
    if not osp.exists(source):
        raise FileNotFoundError(f'gallery {source} not found')
    if osp.isdir(source):
        videos = videos_from_sign_folders(source)
    else:
        suffix = osp.splitext(source)[1].lower()
        # a list by its name, else by its content: anything but text is read as a saved
        # gallery, whose loader says what the file is when it is not one
        if suffix not in ('.json', '.txt') and (suffix == '.npz'
                                                or describe_file(source) != 'a text file'):
            gallery = SignGallery.load(source)
            gallery.check_encoder(encoder_identity(model), 'this model\'s embeddings')
            gallery.mode = mode or gallery.mode
            gallery.k = int(k or gallery.k)
            return gallery
        videos = videos_from_list(source, video_root, sign_ann_root, classes)
    features = embed_videos(model, videos.paths, videos.labels, names=videos.names,
                            classes=videos.classes, sample_infos=videos.sample_infos,
                            batch_size=batch_size, progress=progress)
    return SignGallery.from_features(features, mode or 'prototype', k or 1)
