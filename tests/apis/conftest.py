"""Shared inputs of the embedding and gallery tests: the demo finetuning recognizer with random
weights saved as a checkpoint, and temporal pieces of the real clips of ``tests/data``."""
from pathlib import Path
from typing import Callable, Dict, List

import cv2
import numpy as np
import pytest
import torch

from signmae_mm.testing import write_video

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'tests' / 'data'
FINETUNE = REPO / 'configs' / 'demo' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
#: The real clips, as two "signs".
SOURCES = {'drink': 'ntu_drink_s001c001p001r001a001.mp4',
           'two_people': 'demo_skeleton_two_people.mp4'}
PIECE = 16  # frames per piece: the demo config's 8 frames at interval 2


def _frames(name: str) -> np.ndarray:
    """Every frame of a clip, BGR, at 64x96 (the demo's 64-pixel side; small to decode)."""
    cap = cv2.VideoCapture(str(DATA / name))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, (64, 96), interpolation=cv2.INTER_AREA))
    cap.release()
    return np.stack(frames)


@pytest.fixture(scope='session')
def clip_pieces(tmp_path_factory) -> Dict[str, List[Path]]:
    """Each real clip cut into consecutive 16-frame pieces (drink: 4, two_people: 3)."""
    root = tmp_path_factory.mktemp('pieces')
    pieces = {}
    for sign, name in SOURCES.items():
        frames = _frames(name)
        pieces[sign] = [write_video(root / sign / f'piece{k}.mp4',
                                    frames[k * PIECE:(k + 1) * PIECE], 25)
                        for k in range(len(frames) // PIECE)]
    return pieces


def _save_recognizer(path: Path, seed: int) -> Path:
    from signmae_mm.apis import init_sign_recognizer
    torch.manual_seed(seed)
    model = init_sign_recognizer(str(FINETUNE))
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


@pytest.fixture(scope='session')
def make_recognizer_checkpoint(tmp_path_factory) -> Callable[..., Path]:
    """``make(name, seed=0)``: the demo finetuning recognizer with random weights (``seed``),
    saved as mmengine saves a checkpoint."""
    root = tmp_path_factory.mktemp('encoders')
    return lambda name='finetuned.pth', seed=0: _save_recognizer(root / name, seed)


@pytest.fixture(scope='session')
def recognizer_checkpoint(make_recognizer_checkpoint) -> Path:
    return make_recognizer_checkpoint()
