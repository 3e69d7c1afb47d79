"""The sign gallery: prototype and k-NN scores on a hand-made case, signs added and removed
without touching the others, the safe file, another encoder refused, and tools/recognize.py
--gallery end to end on pieces of the real clips."""
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from signmae_mm.apis import (FormatError, SignFeatures, SignGallery, embed_videos,
                             init_sign_encoder, make_gallery)

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / 'configs' / 'demo' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
ENCODER = dict(config='c.py', checkpoint='e.pth', checkpoint_sha256='aa', weights_sha256='w1',
               checkpoint_kind='recognizer', embed_dim=2)


def _unit(degrees: float) -> np.ndarray:
    return np.array([math.cos(math.radians(degrees)), math.sin(math.radians(degrees))])


def _hand_made(mode: str = 'prototype', k: int = 1) -> SignGallery:
    """Sign A: clips at 0 and 90 degrees (prototype at 45); sign B: two clips at 60."""
    features = SignFeatures(np.stack([_unit(0), 3 * _unit(90), _unit(60), 2 * _unit(60)]),
                            ['a0', 'a1', 'b0', 'b1'], [0, 0, 1, 1], ENCODER, ['A', 'B'])
    return SignGallery.from_features(features, mode, k)


def test_prototype_and_knn_scores_by_hand():
    query = 5 * _unit(80)  # lengths do not matter: cosine
    cos = lambda d: math.cos(math.radians(d))  # noqa: E731
    prototype = _hand_made()
    assert prototype.signs == ['A', 'B']
    np.testing.assert_allclose(prototype.prototype('A'), _unit(45), atol=1e-6)
    # the prototype of A is 35 degrees away, B's 20: B
    np.testing.assert_allclose(prototype.scores(query), [[cos(35), cos(20)]], atol=1e-6)
    assert [s for s, _ in prototype.query(query, top_k=2)[0]] == ['B', 'A']
    # the nearest clip of A (90) is 10 degrees away: A
    knn = _hand_made('knn', k=1)
    np.testing.assert_allclose(knn.scores(query), [[cos(10), cos(20)]], atol=1e-6)
    assert knn.query(query, top_k=1)[0][0][0] == 'A'
    # k=2: the mean of A's two clips (80 and 10 degrees away); B has two clips at 20
    knn2 = _hand_made('knn', k=2)
    np.testing.assert_allclose(knn2.scores(query), [[(cos(80) + cos(10)) / 2, cos(20)]],
                               atol=1e-6)
    top = knn2.query(np.stack([query, _unit(90)]), top_k=5)
    assert [s for s, _ in top[0]] == ['B', 'A']
    assert top[1] == [('B', pytest.approx(cos(30))), ('A', pytest.approx(0.5))]


def test_adding_a_sign_changes_only_its_entries():
    gallery = _hand_made()
    queries = np.stack([_unit(d) for d in (0, 30, 75, 170)])
    before = gallery.scores(queries)
    a_clips, b_proto = gallery.clips('A'), gallery.prototype('B')
    gallery.add('C', np.stack([_unit(120), _unit(150)]))
    assert gallery.signs == ['A', 'B', 'C'] and gallery.clip_names('C') == ['C#0', 'C#1']
    after = gallery.scores(queries)
    np.testing.assert_array_equal(after[:, :2], before)  # A's and B's columns untouched
    np.testing.assert_allclose(after[:, 2], queries @ _unit(135), atol=1e-6)
    np.testing.assert_array_equal(gallery.clips('A'), a_clips)
    np.testing.assert_array_equal(gallery.prototype('B'), b_proto)
    # more clips of A: only A's prototype moves
    gallery.add('A', _unit(0)[None], names=['a2'])
    assert gallery.clip_names('A') == ['a0', 'a1', 'a2']
    np.testing.assert_array_equal(gallery.prototype('B'), b_proto)
    assert not np.allclose(gallery.prototype('A'), _unit(45))
    gallery.remove('B')
    assert gallery.signs == ['A', 'C'] and gallery.scores(queries).shape == (4, 2)
    with pytest.raises(KeyError, match="sign 'B' is not in gallery"):
        gallery.remove('B')
    with pytest.raises(ValueError, match=r'holds 2-d embeddings .* shape \(1, 3\)'):
        gallery.add('D', np.ones(3))


def test_another_encoder_or_embedding_size_is_refused():
    gallery = _hand_made()
    other = dict(ENCODER, checkpoint='other.pth', weights_sha256='w2')
    with pytest.raises(ValueError, match=r'made with another encoder, c.py \+ e.pth \(sha256 aa, '
                       r'weights w1, 2-d\); the queries come from c.py \+ other.pth \(sha256 '
                       r'aa, weights w2'):
        gallery.scores(SignFeatures(np.ones((1, 2)), ['q'], [-1], other))
    wide = dict(ENCODER, weights_sha256='w3', embed_dim=3)
    with pytest.raises(ValueError, match=r'holds 2-d embeddings of c.py \+ e.pth .*; the '
                       r'queries are 3-d embeddings of c.py \+ e.pth \(sha256 aa, weights w3'):
        gallery.query(SignFeatures(np.ones((1, 3)), ['q'], [-1], wide))
    with pytest.raises(ValueError, match='no label'):
        SignGallery.from_features(SignFeatures(np.ones((1, 2)), ['q'], [-1], ENCODER))


def test_save_and_load_round_trip(tmp_path):
    gallery = _hand_made('knn', k=2)
    gallery.add('C', np.stack([_unit(120)]), names=['c0'])
    path = tmp_path / 'gallery.npz'
    gallery.save(path)
    loaded = SignGallery.load(path)
    assert (loaded.signs, loaded.mode, loaded.k) == (['A', 'B', 'C'], 'knn', 2)
    assert loaded.encoder == ENCODER and loaded.source == str(path)
    assert loaded.clip_names('A') == ['a0', 'a1'] and loaded.clip_names('C') == ['c0']
    for sign in loaded.signs:
        np.testing.assert_array_equal(loaded.clips(sign), gallery.clips(sign))
    queries = np.stack([_unit(d) for d in (10, 80, 130)])
    np.testing.assert_array_equal(loaded.scores(queries), gallery.scores(queries))
    with np.load(path, allow_pickle=False) as raw:
        assert raw['clip_signs'].tolist() == ['A', 'A', 'B', 'B', 'C']
        assert str(raw['format']) == 'signmae_mm.sign_gallery'

    SignFeatures(np.ones((1, 2)), ['q'], [0], ENCODER).save(tmp_path / 'features.npz')
    with pytest.raises(FormatError, match=r'features.npz is not a sign gallery: it is a \.npz '
                       r'of another kind \(signmae_mm.sign_features\)'):
        SignGallery.load(tmp_path / 'features.npz')


def _tool():
    spec = importlib.util.spec_from_file_location('recognize', REPO / 'tools' / 'recognize.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def sign_folder(clip_pieces, tmp_path_factory):
    """``ROOT/<sign>/`` with the first two pieces of each real clip; the third piece of the
    drink clip is kept apart as a query."""
    root = tmp_path_factory.mktemp('my_signs')
    for sign, pieces in clip_pieces.items():
        for piece in pieces[:2]:
            (root / sign).mkdir(exist_ok=True)
            (root / sign / piece.name).write_bytes(piece.read_bytes())
    (root / 'README.txt').write_text('a file beside the sign folders is not a sign\n')
    return root


def test_gallery_from_a_folder_names_another_piece_of_its_sign(
        clip_pieces, recognizer_checkpoint, sign_folder, tmp_path, capsys):
    tool = _tool()
    query = str(clip_pieces['drink'][2])
    text = tmp_path / 'notes.mp4'
    text.write_text('not a video\n')
    saved, out = tmp_path / 'gallery.npz', tmp_path / 'result.json'
    argv = [str(FINETUNE), str(recognizer_checkpoint)]
    assert tool.main(argv + [str(text), query, '--gallery', str(sign_folder), '--save-gallery',
                             str(saved), '--out', str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == (
        f'{text}: FAILED: video {text} is not a decodable video: it is a text file')
    assert 'gallery: 2 signs, 4 clips (prototype), saved to' in captured.out
    assert f'{query}\n  gallery (cosine similarity):\n    1. drink: ' in captured.out
    result = json.loads(out.read_text())
    assert 'error' in result[0] and result[1]['top_k']['gallery'][0]['name'] == 'drink'

    # the saved gallery answers the same, without embedding its clips again
    gallery = SignGallery.load(saved)
    assert gallery.signs == ['drink', 'two_people']
    assert gallery.clip_names('drink') == ['drink/piece0.mp4', 'drink/piece1.mp4']
    assert tool.main(argv + [query, '--gallery', str(saved), '--gallery-mode', 'knn']) == 0
    assert '    1. drink: ' in capsys.readouterr().out


def test_gallery_arguments_that_cannot_be_used_are_one_line(
        clip_pieces, recognizer_checkpoint, make_recognizer_checkpoint, sign_folder, tmp_path,
        capsys):
    tool = _tool()
    query = str(clip_pieces['drink'][2])
    saved = tmp_path / 'gallery.npz'
    argv = [str(FINETUNE), str(recognizer_checkpoint)]
    assert tool.main(argv + [query, '--gallery', str(sign_folder), '--save-gallery',
                             str(saved)]) == 0
    capsys.readouterr()
    # another encoder (other weights, same config): refused, naming the gallery file
    other = make_recognizer_checkpoint('other.pth', seed=1)
    assert tool.main([str(FINETUNE), str(other), query, '--gallery', str(saved)]) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and err.startswith(f'error: gallery {saved} was made with another '
                                              'encoder') and 'other.pth' in err
    assert 'None' not in err  # the model's size is not known before it embeds: not said
    # a file that is not a gallery
    not_gallery = tmp_path / 'notes.npz'
    not_gallery.write_text('hello\n')
    assert tool.main(argv + [query, '--gallery', str(not_gallery)]) == 2
    assert capsys.readouterr().err.strip() == (
        f'error: {not_gallery} is not a sign gallery: it is a text file')
    assert tool.main(argv + [query, '--gallery', str(recognizer_checkpoint)]) == 2
    assert capsys.readouterr().err.strip() == (
        f'error: {recognizer_checkpoint} is not a sign gallery: it is a PyTorch checkpoint')
    assert tool.main(argv + [query, '--gallery', str(tmp_path / 'nowhere')]) == 2
    assert capsys.readouterr().err.strip() == f'error: gallery {tmp_path / "nowhere"} not found'
    # the checkpoint is checked first: before the gallery and any video
    assert tool.main([str(FINETUNE), query, query, '--gallery', str(tmp_path / 'nowhere')]) == 2
    assert 'is not a PyTorch checkpoint' in capsys.readouterr().err
    # a gallery clip that does not decode stops the building, named
    broken = tmp_path / 'broken_signs'
    (broken / 'drink').mkdir(parents=True)
    (broken / 'drink' / 'bad.mp4').write_text('not a video\n')
    assert tool.main(argv + [query, '--gallery', str(broken)]) == 2
    assert 'bad.mp4 is not a decodable video' in capsys.readouterr().err


def test_gallery_from_an_annotation_list(clip_pieces, recognizer_checkpoint, tmp_path):
    root = clip_pieces['drink'][0].parents[1]
    ann = tmp_path / 'gallery.json'
    ann.write_text(json.dumps(dict(
        metainfo=dict(classes=['drinking', 'pair']),
        data_list=[dict(filename=f'{sign}/piece{k}.mp4', label=i)
                   for i, sign in enumerate(('drink', 'two_people')) for k in range(2)])))
    model = init_sign_encoder(str(FINETUNE), str(recognizer_checkpoint))
    gallery = make_gallery(model, str(ann), video_root=str(root), progress=False)
    assert gallery.signs == ['drinking', 'pair'] and gallery.mode == 'prototype'
    query = embed_videos(model, [str(clip_pieces['two_people'][2])], progress=False)
    assert gallery.query(query, top_k=1)[0][0][0] == 'pair'
    # scores for the metric: one column per sign
    assert gallery.scores(query).shape == (1, 2)
