"""What a file given as a checkpoint or a video really is, before it reaches a loader.

A video passed where the checkpoint goes would otherwise reach ``torch.load`` and end in a
traceback about ``weights_only`` and untrusted pickles; a text file named ``.mp4`` would end in
the decoder's "Error reading 12 bytes". These checks read a file's first bytes (and, for a
video, open it with the decoder mmaction2's pipelines use) and raise one line that names the file
and says what it is instead.
"""
import os.path as osp
import zipfile

__all__ = ['describe_file', 'check_checkpoint_file', 'check_video_file']

_HEAD = 64


def describe_file(path: str) -> str:
    """A few words on what a file holds, from its first bytes.

    Args:
        path (str): An existing file.

    Returns:
        str: ``'an empty file'``, ``'an MP4 / MOV video'``, ``'an AVI video'``, ``'a Matroska /
        WebM video'``, ``'a PyTorch checkpoint'``, ``'a NumPy .npz archive'``, ``'a zip
        archive'``, ``'a pickle'``, ``'a text file'`` or ``'binary data of an unknown kind'``.
    """
    with open(path, 'rb') as f:
        head = f.read(_HEAD)
    if not head:
        return 'an empty file'
    if head[4:8] == b'ftyp':
        return 'an MP4 / MOV video'
    if head[:4] == b'RIFF' and head[8:12] == b'AVI ':
        return 'an AVI video'
    if head[:4] == b'\x1aE\xdf\xa3':
        return 'a Matroska / WebM video'
    if head[:4] == b'PK\x03\x04':
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return 'a damaged zip archive'
        if any(n.endswith('data.pkl') for n in names):
            return 'a PyTorch checkpoint'
        if names and all(n.endswith('.npy') for n in names):
            return 'a NumPy .npz archive'
        return 'a zip archive'
    if head[:1] == b'\x80':
        return 'a pickle'
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return 'binary data of an unknown kind'
    if all(c.isprintable() or c.isspace() for c in text):
        return 'a text file'
    return 'binary data of an unknown kind'


def check_checkpoint_file(path: str) -> None:
    """Raise unless ``path`` is a file that ``torch.load`` can read as a checkpoint.

    Accepts ``torch.save``'s zip format (what mmengine writes) and the legacy pickle format.

    Args:
        path (str): The checkpoint.

    Raises:
        FileNotFoundError: No such file.
        ValueError: It is something else (a video, a text file, an ``.npz`` ...), named.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} not found')
    kind = describe_file(path)
    if kind in ('a PyTorch checkpoint', 'a pickle'):
        return
    hint = (' (the checkpoint comes before the videos)' if kind.endswith('video') else '')
    raise ValueError(f'checkpoint {path} is not a PyTorch checkpoint: it is {kind}{hint}')


def check_video_file(path: str) -> None:
    """Raise unless ``path`` is a video that decord (mmaction2's default decoder) can read.

    Opens the file with :class:`~signmae_mm.preprocessing.VideoFrames` (frame count and first
    frame, milliseconds); the clip itself is decoded by the pipeline afterwards.

    Args:
        path (str): The video.

    Raises:
        FileNotFoundError: No such file.
        ValueError: It does not decode (with what it is, when its first bytes say so).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'video {path} not found')
    kind = describe_file(path)
    if not kind.endswith('video') and kind != 'binary data of an unknown kind':
        raise ValueError(f'video {path} is not a decodable video: it is {kind}')
    # the preprocessing's decord reader: the same opening, frame count and first frame
    from ..preprocessing import VideoDecodeError, VideoFrames
    try:
        VideoFrames(path, num_threads=1)
    except ImportError:  # no decord: another decoder's pipeline reports for itself
        return
    except VideoDecodeError as e:
        reason = str(e).removeprefix(f'{path}: ')
        raise ValueError(f'video {path} is not a decodable video ({kind}; {reason})') from None
