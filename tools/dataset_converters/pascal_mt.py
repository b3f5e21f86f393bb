"""Convert a raw PASCAL_MT tree into the png maps mmvmt reads.

Writes ``human_parts_png/``, ``normals_png/`` and ``edge_png/`` next to the
raw folders (see :mod:`mmvmt.datasets.pascal_mt_conversion` for the rules).

Example:
    python tools/dataset_converters/pascal_mt.py data/PASCAL_MT --nproc 8
"""
import argparse
import time

from mmvmt.datasets.pascal_mt_conversion import (CONVERTED_DIRS,
                                                 convert_pascal_mt)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert PASCAL_MT human parts (.mat), distilled '
        'normals and LabelMap edges into png maps')
    parser.add_argument('root', help='PASCAL_MT root folder')
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of worker processes')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    num = convert_pascal_mt(args.root, nproc=args.nproc)
    print(f'\nconverted {num} images in {time.perf_counter() - start:.1f} s '
          f'into {", ".join(CONVERTED_DIRS.values())} under {args.root}')


if __name__ == '__main__':
    main()
