"""Predict every task of a multi-task model on one image.

``python demo/image_demo.py IMG CONFIG CHECKPOINT [--out-file FILE]
[--out-dir DIR] [--device cpu|cuda] [--show]``, like mmseg's
``demo/image_demo.py``; built on :class:`mmvmt.apis.MultiTaskInferencer`.
``IMG`` may also be a folder. ``CONFIG`` is a config file or a config name
of ``configs/vmt`` (e.g. ``swin-t_pascal_demo``).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv

from mmvmt.apis import MultiTaskInferencer


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command-line arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Predict every task of a multi-task model on an image')
    parser.add_argument('img', help='image file or folder of images')
    parser.add_argument('config', help='config file or config name')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file',
        help='write the drawing (every task, with legends) of a single '
        'image to this file')
    parser.add_argument(
        '--out-dir',
        help='write DIR/<task>/<image>.png|.npy (as tools/test.py --out) '
        'and the drawings DIR/vis/<image>.png')
    parser.add_argument(
        '--device',
        default=None,
        help="'cpu', 'cuda', 'cuda:0'... "
        '(default: CUDA if available)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.8,
        help='opacity of class-map colours over the image, in (0, 1]')
    parser.add_argument(
        '--show', action='store_true', help='display the drawings')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the demo.

    Args:
        argv: Arguments without the program name (see :func:`parse_args`).

    Returns:
        dict: The inferencer's result.
    """
    args = parse_args(argv)
    if args.out_file and osp.isdir(args.img):
        raise SystemExit('--out-file takes a single image; use --out-dir '
                         f'for the folder {args.img}')
    if not 0 < args.opacity <= 1:
        raise SystemExit(f'--opacity must be in (0, 1], got {args.opacity}')
    inferencer = MultiTaskInferencer(
        args.config, weights=args.checkpoint, device=args.device)
    inferencer.visualizer.alpha = args.opacity
    result = inferencer(
        args.img,
        out_dir=args.out_dir,
        show=args.show,
        return_vis=bool(args.out_file))
    if args.out_file:
        os.makedirs(osp.dirname(osp.abspath(args.out_file)), exist_ok=True)
        mmcv.imwrite(mmcv.rgb2bgr(result['visualization']), args.out_file)
        print(f'drawing written to {args.out_file}')
    predictions = result['predictions']
    if isinstance(predictions, list):
        print(f'{len(predictions)} images; the first one:')
        predictions = predictions[0]
    for task, pred in predictions.items():
        print(f'{task}: {pred.dtype} {pred.shape}, values '
              f'{pred.min():.4g} .. {pred.max():.4g}')
    if args.out_dir:
        print(f'predictions and drawings written to {args.out_dir}')
    return result


if __name__ == '__main__':
    main()
