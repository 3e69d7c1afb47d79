"""A tiny TorchScript stand-in for Sapiens with the same I/O contract, for the tests.

Input ``(N, 3, H, W)``: RGB normalised with Sapiens' mean and std. Output ``(N, 28, H/2, W/2)``
logits (half resolution, as a real segmenter's output is coarser than its input). The class of a
pixel is read from its *red* value: ``class = round(R / 8)``. A test frame therefore encodes a
class map as ``R = 8 * class`` (BGR frame: channel 2), and a wrong channel order or wrong
normalisation in the code under test shows up as wrong classes.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from signmae_mm.preprocessing import SAPIENS_MEAN, SAPIENS_STD

NUM_CLASSES = 28
#: The blue value of test frames: read as class round(200 / 8) = 25 (Lower_Teeth, "face") if
#: the code under test fed BGR instead of RGB.
BLUE = 200


class ToySapiens(torch.nn.Module):

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.register_buffer('mean', torch.tensor(SAPIENS_MEAN).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(SAPIENS_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = x * self.std + self.mean
        cls = torch.round(rgb[:, 0] / 8).long().clamp(0, self.num_classes - 1)
        logits = F.one_hot(cls, self.num_classes).permute(0, 3, 1, 2).float() * 10
        return F.avg_pool2d(logits, 2)


def save_toy_sapiens(path: Path, num_classes: int = NUM_CLASSES) -> Path:
    """Script and save the toy model (``torch.jit.save``), as Sapiens' lite exports are."""
    torch.jit.save(torch.jit.script(ToySapiens(num_classes)), str(path))
    return path


def frames_from_labels(labels: np.ndarray) -> np.ndarray:
    """BGR uint8 frames whose red channel encodes ``labels`` (``(T, H, W)`` class ids)."""
    labels = np.asarray(labels)
    frames = np.zeros(labels.shape + (3, ), np.uint8)
    frames[..., 0] = BLUE
    frames[..., 2] = labels * 8
    return frames
