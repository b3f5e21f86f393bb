"""Convert a raw PASCAL_MT tree into the png maps mmvmt reads.

Writes ``human_parts_png/``, ``normals_png/`` and ``edge_png/`` next to the
raw folders (see :mod:`mmvmt.datasets.pascal_mt_conversion` for the rules).
``--skip-bad`` skips images whose raw files are missing or corrupt (nothing
is written for them) and lists them at the end.

Example:
    python tools/dataset_converters/pascal_mt.py data/PASCAL_MT --nproc 8
"""
import argparse
import time
from typing import Optional, Sequence

from mmvmt.datasets.pascal_mt_conversion import (CONVERTED_DIRS,
                                                 convert_pascal_mt)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the arguments (``None``: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Convert PASCAL_MT human parts (.mat), distilled '
        'normals and LabelMap edges into png maps')
    parser.add_argument('root', help='PASCAL_MT root folder')
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of worker processes')
    parser.add_argument(
        '--skip-bad',
        action='store_true',
        help='skip images with a missing or corrupt raw file and list them '
        'at the end, instead of stopping at the first one')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert, then report the converted and the skipped images."""
    args = parse_args(argv)
    start = time.perf_counter()
    result = convert_pascal_mt(
        args.root, nproc=args.nproc, skip_bad=args.skip_bad)
    print(f'\nconverted {result.converted} images in '
          f'{time.perf_counter() - start:.1f} s into '
          f'{", ".join(CONVERTED_DIRS.values())} under {args.root}')
    if result.bad:
        print(f'skipped {len(result.bad)} image(s) with a bad raw file '
              '(nothing written for them; fix the files and convert again, '
              'or remove the ids from ImageSets/Context/*.txt):')
        for img_id, message in result.bad:
            print(f'  {img_id}: {message}')


if __name__ == '__main__':
    main()
