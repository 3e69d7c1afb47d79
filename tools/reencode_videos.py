#!/usr/bin/env python
"""Re-encode the videos of annotation lists so that training clips decode fast.

Writes every video named by the lists to the same relative path under ``--out-root``, as
``mp4v`` in ``.mp4``: every frame kept, same size and frame rate (checked on the new file), so
the sign annotations stay valid; the PSNR against the original is measured per video and one
below ``--min-psnr`` stops the tool (``--keep-going``: leave it out of the new lists, list it in
``reencode_failures.txt`` and exit 1). The new lists (same names, file names ending in ``.mp4``)
go to ``--list-dir``. Why: decord decodes inter-coded web video from the previous key frame, ~64
frames for a 16 x 4 clip; see ``docs/input_pipeline.md``.

Example::

    python tools/reencode_videos.py data/wlasl/annotations/wlasl2000_{train,val,test}.json \\
        --video-root data/wlasl/videos --out-root data/wlasl/videos_mp4v \\
        --list-dir data/wlasl/annotations_mp4v
    # then train with ann_file=data/wlasl/annotations_mp4v/... and
    # data_prefix.video=data/wlasl/videos_mp4v (data_prefix.sign_ann unchanged)

Exit status: 0 when every video was written, 1 when some failed (with ``--keep-going``, or at the
first failure without it: files written so far are complete, no list is written), 2 on bad
arguments.
"""
import argparse
import statistics
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_files', nargs='+', help='annotation lists (JSON)')
    parser.add_argument('--video-root', required=True, help='folder the lists\' files are in')
    parser.add_argument('--out-root', required=True, help='folder for the new videos')
    parser.add_argument('--list-dir', required=True, help='folder for the new lists')
    parser.add_argument('--min-psnr', type=float, default=30.0,
                        help='dB; a video re-encoded below it fails (default 30; real footage '
                        'gave 41.6, camera-like noise 32.9)')
    parser.add_argument('--keep-going', action='store_true',
                        help='leave failed videos out of the new lists instead of stopping')
    parser.add_argument('--skip-existing', action='store_true',
                        help='keep new videos already written (resume an interrupted run)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from signmae_mm.preprocessing import PreprocessError, reencode_annotation_lists
    try:
        done, failed, lists = reencode_annotation_lists(
            args.ann_files, args.video_root, args.out_root, args.list_dir,
            min_psnr=args.min_psnr, keep_going=args.keep_going,
            skip_existing=args.skip_existing, progress=print)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except PreprocessError as e:
        print(f'error: {e}\nno list written; the videos written so far are complete (rerun with '
              '--skip-existing to go on, --keep-going to leave failing videos out)',
              file=sys.stderr)
        return 1
    if done:
        before = sum(r.src_bytes for r in done) / 2**20
        after = sum(r.dst_bytes for r in done) / 2**20
        psnr = [r.psnr for r in done]
        print(f'{len(done)} videos re-encoded ({sum(r.num_frames for r in done)} frames): '
              f'{before:.1f} -> {after:.1f} MiB; PSNR median {statistics.median(psnr):.1f} dB, '
              f'lowest {min(psnr):.1f} dB')
    print('new lists: ' + ', '.join(lists))
    if failed:
        print(f'{len(failed)} videos failed and are left out of the new lists (see '
              f'{args.list_dir}/reencode_failures.txt)', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
