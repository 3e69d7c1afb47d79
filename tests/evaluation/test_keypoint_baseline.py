"""The keypoint baseline's features: normalised by the signer's shoulders, 0 where undetected."""
import numpy as np
import pytest

from signmae_mm.evaluation import KEYPOINT_SUBSET, keypoint_features
from signmae_mm.structures import save_sign_annotation


def _annotation(path, keypoints, scores):
    t = len(keypoints)
    save_sign_annotation(str(path), keypoints, scores, np.tile([0., 0., 64., 64.], (t, 1)),
                         np.zeros((t, 7, 8, 8), np.uint8), (64, 64))
    return str(path)


def test_features_are_centred_on_the_shoulders_and_scaled_by_their_width(tmp_path):
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 64, (16, 133, 2))
    kpts[:, 5], kpts[:, 6] = (40., 30.), (20., 30.)  # shoulders 20 px apart around (30, 30)
    kpts[:, 10] = (10., 50.)  # a wrist
    scores = np.ones((16, 133))
    scores[3:5, 112:133] = 0.1  # the right hand lost in two frames
    feats = keypoint_features(_annotation(tmp_path / 'a.npz', kpts, scores), num_frames=8)
    feats = feats.reshape(8, len(KEYPOINT_SUBSET), 2)
    np.testing.assert_allclose(feats[:, 5], [[0.5, 0.]] * 8, atol=1e-6)
    np.testing.assert_allclose(feats[:, 10], [[-1., 1.]] * 8, atol=1e-6)
    # test-mode sampling: frames 0, 2, ..., 14; frame 4 is the third and its right hand is 0
    right = slice(13 + 21, 13 + 42)
    assert (feats[2, right] == 0).all() and (feats[1, right] != 0).all()
    assert np.isfinite(feats).all()


def test_no_shoulders_is_an_error_naming_the_file(tmp_path):
    scores = np.ones((16, 133))
    scores[:, 6] = 0.
    path = _annotation(tmp_path / 'noshoulder.npz', np.zeros((16, 133, 2)), scores)
    with pytest.raises(ValueError, match='noshoulder.npz.*shoulders'):
        keypoint_features(path, num_frames=8)
