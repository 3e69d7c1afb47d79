"""Helpers of the heatmap-pipeline tests: a real mp4 of a two-handed "signer" whose hands are
coloured squares (the subject's left hand red, on the image's right; the right hand green), with
COCO-WholeBody keypoints on them, written in the SignMAE annotation format."""
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401  (registers our transforms)
from signmae_mm.structures import dump_annotation_list, save_sign_annotation
from signmae_mm.testing import write_video

H, W = 96, 128  # non-square: catches height/width mix-ups
HAND = 24  # side of a hand square
LEFT_RGB, RIGHT_RGB = (255, 0, 0), (0, 255, 0)  # decord gives RGB
UNDETECTED = 3  # the left ear: score 0, coordinates 0


def hand_boxes(t: int) -> Dict[str, tuple]:
    """``(x1, y1, x2, y2)`` of each hand in frame ``t``; both move down, the left hand right."""
    y = 30 + 2 * t
    return dict(left=(78 + t, y, 78 + t + HAND, y + HAND),
                right=(18, y + 4, 18 + HAND, y + 4 + HAND))


def draw_two_hand_clip(num_frames: int = 16) -> Dict[str, np.ndarray]:
    """Frames (BGR, for cv2) and the 133 keypoints / scores of the clip."""
    frames = np.full((num_frames, H, W, 3), 30, np.uint8)
    kps = np.zeros((num_frames, 133, 2), np.float32)
    scores = np.zeros((num_frames, 133), np.float32)
    body = {0: (64, 14), 1: (70, 10), 2: (58, 10), 4: (52, 12), 5: (88, 40), 6: (40, 40),
            7: (100, 52), 8: (28, 52)}  # the subject faces us: their left is the image's right
    for t in range(num_frames):
        boxes = hand_boxes(t)
        for side, colour, start in (('left', LEFT_RGB, 91), ('right', RIGHT_RGB, 112)):
            x1, y1, x2, y2 = boxes[side]
            frames[t, y1:y2, x1:x2] = colour[::-1]
            gx, gy = np.meshgrid(np.linspace(x1 + 3, x2 - 3, 7), np.linspace(y1 + 3, y2 - 3, 3))
            kps[t, start:start + 21] = np.stack([gx.ravel(), gy.ravel()], -1)
            scores[t, start:start + 21] = 0.7
        kps[t, 9] = ((boxes['left'][0] + boxes['left'][2]) / 2, boxes['left'][3])
        kps[t, 10] = ((boxes['right'][0] + boxes['right'][2]) / 2, boxes['right'][3])
        for k, xy in body.items():
            kps[t, k] = xy
        scores[t, list(body) + [9, 10]] = 0.9
        # the 20 mouth points (71-90) on an ellipse around the mouth
        angle = np.linspace(0, 2 * np.pi, 20, endpoint=False)
        kps[t, 71:91] = np.stack([64 + 8 * np.cos(angle), 24 + 3 * np.sin(angle)], -1)
        scores[t, 71:91] = 0.8
    scores[:, UNDETECTED] = 0
    kps[:, UNDETECTED] = 0
    return dict(frames=frames, keypoints=kps, scores=scores)


def write_two_hand_sample(root: Path, name: str = 'clip', num_frames: int = 16) -> Dict:
    """Write the clip and its annotation; returns the sample info ``SignVideoDataset`` gives,
    plus the drawn keypoints / scores."""
    clip = draw_two_hand_clip(num_frames)
    video = write_video(root / 'videos' / f'{name}.mp4', clip['frames'])
    ann = root / 'anns' / f'{name}.npz'
    boxes = np.tile(np.array([[10, 0, 118, 96]], np.float32), (num_frames, 1))
    save_sign_annotation(str(ann), clip['keypoints'], clip['scores'], boxes,
                         np.zeros((num_frames, 7, 24, 32), np.uint8), (H, W), 'synthetic')
    entry = dict(filename=f'{name}.mp4', label=1, sign_ann=f'{name}.npz',
                 total_frames=num_frames, img_shape=[H, W])
    list_file = dump_annotation_list(str(root / 'list.json'), [entry])
    info = dict(filename=str(video), label=1, sign_ann=str(ann), modality='RGB', start_index=0,
                test_mode=False)
    return dict(clip, info=info, list_file=list_file, video_root=str(root / 'videos'),
                ann_root=str(root / 'anns'))


def run_pipeline(cfgs: List[dict], info: dict) -> Tuple[dict, dict]:
    """Run real mmaction2 transforms; the last one must be ``PackActionInputs``.

    Returns:
        tuple[dict, dict]: The sample before packing (crop, flip and keypoints as the pipeline
        recorded them) and the packed sample.
    """
    init_default_scope('mmaction')  # earlier tests may have left another scope
    state = Compose([TRANSFORMS.build(dict(c)) for c in cfgs[:-1]])(dict(info))
    packed = TRANSFORMS.build(dict(cfgs[-1]))(dict(state))
    return state, packed
