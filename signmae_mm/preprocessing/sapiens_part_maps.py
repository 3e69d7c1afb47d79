"""Part maps from a Sapiens body-part segmentation model (TorchScript or ``torch.export`` file)."""
import os.path as osp
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from signmae_mm.structures import SAPIENS_CLASSES

from .part_map_source import GridSize, PartMapSource

__all__ = [
    'SAPIENS_INPUT_SIZE', 'SAPIENS_MEAN', 'SAPIENS_STD', 'SapiensPartMaps',
    'load_segmentation_model'
]

#: Sapiens' own segmentation inference: (H, W) input, RGB mean and std on 0-255 pixels.
SAPIENS_INPUT_SIZE: Tuple[int, int] = (1024, 768)
SAPIENS_MEAN: Tuple[float, float, float] = (123.5, 116.5, 103.5)
SAPIENS_STD: Tuple[float, float, float] = (58.5, 57.0, 57.5)


def load_segmentation_model(path: str, device: Union[str, torch.device] = 'cpu'):
    """Load a TorchScript (``torch.jit.save``) or ``torch.export`` (``.pt2``) model file.

    Sapiens' released "lite" segmentation models are TorchScript archives (some named
    ``*_torchscript.pt2``); a ``torch.export.save`` file works too.

    Args:
        path (str): The model file.
        device (str | torch.device): Where to load it.

    Returns:
        Callable: The model, in eval mode where it has one.

    Raises:
        FileNotFoundError / RuntimeError: Naming the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'segmentation model file {path} does not exist')
    errors = []
    try:
        model = torch.jit.load(path, map_location=device)
        return model.eval()
    except Exception as e:  # not TorchScript: try torch.export below
        errors.append(f'torch.jit.load: {str(e).strip().splitlines()[0][:200]}')
    try:
        model = torch.export.load(path).module()
        return model.to(device)
    except Exception as e:
        errors.append(f'torch.export.load: {str(e).strip().splitlines()[0][:200]}')
    raise RuntimeError(f'cannot load the segmentation model {path} as TorchScript or as a '
                       f'torch.export program ({"; ".join(errors)})')


class SapiensPartMaps(PartMapSource):
    """Part maps from a Sapiens body-part segmentation model run on the signer's crop.

    Sapiens' own recipe, on the crop instead of the whole frame (the signer then fills the
    model's input, as the people of Sapiens' training images do): the signer box, grown by
    ``bbox_padding`` and widened to the model input's aspect ratio, is cut from the frame
    (clipped to it), resized to ``input_size`` (bilinear), turned BGR -> RGB and normalised
    with :data:`SAPIENS_MEAN` / :data:`SAPIENS_STD`; the 28-class logits are resized
    (bilinear) to the crop, the argmax is pasted into a background frame, and the classes are
    grouped by the format's part groups. A frame without a box is segmented whole.

    The model's contract (Sapiens' TorchScript export): ``(N, 3, H, W)`` float in, ``(N, 28,
    h, w)`` logits out, any ``h, w``.

    Args:
        model (str | Callable): Model file (TorchScript or ``torch.export``) or a loaded model.
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        input_size (tuple[int, int]): Model input ``(H, W)``. Defaults to (1024, 768).
        bbox_padding (float): Growth of the signer box. Defaults to 1.25 (mmpose's top-down
            padding).
        device (str): Torch device. Defaults to ``'cpu'``.
        dtype (str | torch.dtype, optional): Input dtype (``'float16'``, ``'bfloat16'`` for
            half-precision exports). Defaults to the model's parameter dtype, else float32.
        batch_size (int): Crops per forward pass. Defaults to 8.
    """
    name = 'sapiens'

    def __init__(self,
                 model,
                 grid_size: GridSize = 32,
                 input_size: Tuple[int, int] = SAPIENS_INPUT_SIZE,
                 bbox_padding: float = 1.25,
                 device: str = 'cpu',
                 dtype=None,
                 batch_size: int = 8) -> None:
        super().__init__(grid_size)
        self.model_path = model if isinstance(model, str) else None
        self.model = load_segmentation_model(model, device) if isinstance(model, str) else model
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.bbox_padding = float(bbox_padding)
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        if dtype is None:
            params = list(getattr(self.model, 'parameters', lambda: [])())
            dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
        self.dtype = dtype
        self._mean = torch.tensor(SAPIENS_MEAN, device=self.device).view(1, 3, 1, 1)
        self._std = torch.tensor(SAPIENS_STD, device=self.device).view(1, 3, 1, 1)

    def crop_box(self, bbox: np.ndarray, img_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """Integer crop ``(x0, y0, x1, y1)`` of one frame for a signer box (see the class)."""
        h, w = img_shape
        if not np.any(bbox):
            return 0, 0, w, h
        x1, y1, x2, y2 = (float(v) for v in bbox[:4])
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        bw, bh = max(x2 - x1, 1.0) * self.bbox_padding, max(y2 - y1, 1.0) * self.bbox_padding
        aspect = self.input_size[1] / self.input_size[0]  # W / H of the model input
        if bw / bh > aspect:
            bh = bw / aspect
        else:
            bw = bh * aspect
        x0 = int(np.clip(np.floor(cx - bw / 2), 0, w - 1))
        y0 = int(np.clip(np.floor(cy - bh / 2), 0, h - 1))
        x1_ = int(np.clip(np.ceil(cx + bw / 2), x0 + 1, w))
        y1_ = int(np.clip(np.ceil(cy + bh / 2), y0 + 1, h))
        return x0, y0, x1_, y1_

    @torch.no_grad()
    def segment(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """Logits of BGR crops, each already resized to ``input_size``: ``(n, 28, h, w)``."""
        x = torch.from_numpy(np.stack(crops)[..., ::-1].copy()).to(self.device)
        x = x.permute(0, 3, 1, 2).float()
        x = ((x - self._mean) / self._std).to(self.dtype)
        out = self.model(x)
        if isinstance(out, (list, tuple)):
            out = out[0]
        if not isinstance(out, torch.Tensor) or out.ndim != 4 or \
                out.shape[:2] != (len(crops), len(SAPIENS_CLASSES)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise RuntimeError(
                f'segmentation model {self.model_path or type(self.model).__name__} returned '
                f'{shape} for {len(crops)} crops; expected ({len(crops)}, '
                f'{len(SAPIENS_CLASSES)}, h, w) logits over the Sapiens classes')
        return out.float()

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes) -> np.ndarray:
        if frames is None:
            raise ValueError('SapiensPartMaps needs the frames')
        h, w = img_shape
        in_h, in_w = self.input_size
        out = np.zeros((len(frames), h, w), np.uint8)  # 0 = Background
        boxes = [self.crop_box(b, (h, w)) for b in bboxes]
        for start in range(0, len(frames), self.batch_size):
            idx = range(start, min(start + self.batch_size, len(frames)))
            crops = [cv2.resize(frames[i][y0:y1, x0:x1], (in_w, in_h),
                                interpolation=cv2.INTER_LINEAR)
                     for i, (x0, y0, x1, y1) in ((i, boxes[i]) for i in idx)]
            logits = self.segment(crops)
            for j, i in enumerate(idx):
                x0, y0, x1, y1 = boxes[i]
                up = F.interpolate(logits[j:j + 1], size=(y1 - y0, x1 - x0), mode='bilinear',
                                   align_corners=False)
                out[i, y0:y1, x0:x1] = up[0].argmax(0).to(torch.uint8).cpu().numpy()
        return out
