"""Measure MediaPipe Holistic's keypoint noise on real clips (docs/keypoint_noise.md).

Each video is annotated as the own-data path does it (``signmae_mm.apis.annotate_video``,
cached as ``<ann-dir>/<stem>.npz``; an ``.npz`` given instead of a video is read as it is),
measured per clip and pooled (:mod:`signmae_mm.evaluation.keypoint_noise`); the JSON holds
per-clip and pooled figures and the fitted ``KeypointNoise`` parameters.

Example:
    python benchmarks/measure_keypoint_noise.py /work/exp/realsign/*.mp4 \\
        --ann-dir /work/exp/realsign/ann --out keypoint_noise.json
"""
import argparse
import json
import os
import os.path as osp


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('inputs', nargs='+', help='videos (annotated with MediaPipe) or .npz')
    parser.add_argument('--ann-dir', default=None,
                        help='where annotations are cached (default: beside each video)')
    parser.add_argument('--group', action='append', default=[], metavar='NAME=STEM,STEM',
                        help='pool these clips (file stems) separately as NAME; may repeat')
    parser.add_argument('--fit', default=None,
                        help='group whose pooled figures give the fitted parameters '
                        '(default: all clips)')
    parser.add_argument('--out', default='keypoint_noise.json', help='JSON to write')
    return parser.parse_args()


def _video_info(path: str) -> dict:
    import cv2
    cap = cv2.VideoCapture(path)
    info = dict(fps=round(float(cap.get(cv2.CAP_PROP_FPS)), 3),
                width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    return info


def main() -> None:
    args = parse_args()
    from signmae_mm.evaluation.keypoint_noise import (fit_keypoint_noise,
                                                      measure_keypoint_noise,
                                                      pool_keypoint_noise)
    from signmae_mm.structures import load_sign_annotation

    clips, per_clip = {}, {}
    for path in args.inputs:
        stem = osp.splitext(osp.basename(path))[0]
        info = {}
        if path.endswith('.npz'):
            npz = path
        else:
            info = _video_info(path)
            folder = args.ann_dir or osp.dirname(path)
            os.makedirs(folder, exist_ok=True)
            npz = osp.join(folder, f'{stem}.npz')
            if not osp.isfile(npz):
                from signmae_mm.apis import annotate_video
                annotate_video(path, npz)
        ann = load_sign_annotation(npz)
        clips[stem] = measure_keypoint_noise(ann['keypoints'], ann['keypoint_scores'])
        per_clip[stem] = dict(info, **pool_keypoint_noise([clips[stem]]))
        j, m = per_clip[stem]['jitter'], per_clip[stem]['missing']
        print(f'{stem:45s} {clips[stem].num_frames:4d} fr  hand jitter med '
              f'{j["hand"]["median"] or float("nan"):.4f}  missing L/R '
              f'{m["left"]:.2f}/{m["right"]:.2f}  swaps {per_clip[stem]["swaps"]["frames"]}')
    groups = {'all': list(clips)}
    for spec in args.group:
        name, stems = spec.split('=', 1)
        groups[name] = [s for s in stems.split(',') if s]
    pooled = {name: pool_keypoint_noise([clips[s] for s in stems])
              for name, stems in groups.items()}
    fit = fit_keypoint_noise(pooled[args.fit or 'all'])
    out = dict(per_clip=per_clip, groups=groups, pooled=pooled, fit_group=args.fit or 'all',
               fitted_parameters=fit)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=1)
    print(json.dumps(dict(pooled={k: dict(jitter=v['jitter'], autocorr=v['autocorr'],
                                          missing=v['missing'], swaps=v['swaps'])
                                  for k, v in pooled.items()},
                          fitted_parameters=fit), indent=1))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
