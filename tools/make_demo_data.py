"""Generate the SignMAE demo set: a drawn signer performing fine-grained sign pairs.

Writes mp4 clips, their sign annotations (COCO-WholeBody keypoints, person boxes, part maps) and
balanced train/val/test annotation lists for ``SignVideoDataset``.

Example:
    python tools/make_demo_data.py data/demo --num-classes 10 --videos-per-class 300
    python tools/make_demo_data.py data/demo --noisy-twin  # data/demo/sign_ann_noisy
"""
import argparse
import os
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('out_dir', nargs='?', default='data/demo', help='output folder')
    parser.add_argument('--num-classes', type=int, default=10,
                        help='classes: the first N of the vocabulary\'s 40 (an even number keeps '
                        'the fine-grained pairs whole; the demo configs take 10, and 40 adds '
                        'signs the main job never trains on, for gallery retrieval)')
    parser.add_argument('--videos-per-class', type=int, default=300,
                        help='videos per class, split 4:1:1 into train/val/test')
    parser.add_argument('--num-frames', type=int, default=16, help='frames per video')
    parser.add_argument('--size', type=int, nargs='+', default=[64],
                        help='frame size: S or H W')
    parser.add_argument('--grid', type=int, nargs=2, default=[32, 32],
                        help='part-map grid (rows, columns)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the whole set')
    parser.add_argument('--keypoint-noise', action='store_true',
                        help='give the saved keypoints MediaPipe-like noise (the measured '
                        'defaults of signmae_mm.demo.KeypointNoise, docs/keypoint_noise.md); '
                        'part maps and videos stay exact')
    parser.add_argument('--noisy-twin', action='store_true',
                        help='render nothing: give the existing set in out_dir a noisy twin of '
                        'its sign annotations (out_dir/sign_ann_noisy, the keypoints '
                        '--keypoint-noise would have written) for the keypoint stream, and '
                        'print its folder')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='rendering processes (the output does not depend on it)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if len(args.size) not in (1, 2):
        raise SystemExit('--size takes S or H W')
    start = time.time()
    # imported here so that --help answers without loading mmaction2 and torch
    from signmae_mm.demo import KeypointNoise, write_demo_dataset, write_noisy_annotations
    if args.noisy_twin:
        print(write_noisy_annotations(args.out_dir))
        return
    size = args.size[0] if len(args.size) == 1 else tuple(args.size)
    out = write_demo_dataset(args.out_dir, args.num_classes, args.videos_per_class,
                             args.num_frames, size, args.seed, tuple(args.grid),
                             workers=args.workers,
                             keypoint_noise=KeypointNoise() if args.keypoint_noise else None)
    total = sum(out.counts.values())
    print(f'wrote {total} videos of {args.num_frames} frames at {size} px, '
          f'{len(out.classes)} classes, to {out.root} in {time.time() - start:.1f} s')
    for split, path in out.ann_files.items():
        print(f'  {split:5s}: {out.counts[split]:4d} videos  {path}')
    print(f'  classes: {", ".join(out.classes)}')
    print(f'  vocabulary: {os.path.join(out.root, "vocabulary.json")}')
    print(f"  data_prefix=dict(video='{out.video_prefix}', sign_ann='{out.sign_ann_prefix}')")


if __name__ == '__main__':
    main()
