"""Write a tiny labelled set of synthetic clips (mmaction2 ``VideoDataset`` layout).

Example:
    python tools/make_smoke_videos.py data/smoke --num-classes 2 --videos-per-class 4
"""
import argparse

from signmae_mm.testing import make_video_dataset


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='output folder')
    parser.add_argument('--num-classes', type=int, default=2)
    parser.add_argument('--videos-per-class', type=int, default=4)
    parser.add_argument('--num-frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    paths = make_video_dataset(args.root, args.num_classes, args.videos_per_class,
                               args.num_frames, args.size, args.seed)
    for name, path in paths.items():
        print(f'{name}: {path}')


if __name__ == '__main__':
    main()
