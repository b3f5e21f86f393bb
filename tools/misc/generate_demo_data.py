"""Write small synthetic PASCAL_MT / NYUD_MT sets in the raw layouts.

Example:
    python tools/misc/generate_demo_data.py data/demo --dataset both
    python tools/dataset_converters/pascal_mt.py data/demo/PASCAL_MT

Use ``--convert`` to run the PASCAL_MT converter right away, and
``--class-pixels`` to print the pixels of each class in the train split (the
``demo_*_class_pixels`` of the demo dataset configs).
"""
import argparse
import os.path as osp
import time

from mmvmt.datasets.pascal_mt_conversion import (convert_pascal_mt,
                                                 converter_command)
from mmvmt.testing.demo_data import (DEMO_NUM_TRAIN, DEMO_NUM_VAL, DEMO_SIZE,
                                     class_pixel_counts, generate_demo_data)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic multi-task demo sets')
    parser.add_argument('out_dir', help='output folder, e.g. data/demo')
    parser.add_argument(
        '--dataset', choices=['pascal', 'nyud', 'both'], default='both')
    parser.add_argument('--num-train', type=int, default=DEMO_NUM_TRAIN)
    parser.add_argument('--num-val', type=int, default=DEMO_NUM_VAL)
    parser.add_argument(
        '--size', type=int, nargs=2, default=DEMO_SIZE, metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--convert',
        action='store_true',
        help='also convert the PASCAL_MT tree (human_parts_png, '
        'normals_png, edge_png)')
    parser.add_argument(
        '--class-pixels',
        action='store_true',
        help='also print the pixels of each class in the train split')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    written = generate_demo_data(
        args.out_dir,
        dataset=args.dataset,
        num_train=args.num_train,
        num_val=args.num_val,
        size=args.size,
        seed=args.seed)
    print(f'generated {", ".join(written)} ({args.num_train} train / '
          f'{args.num_val} val each) under {args.out_dir} in '
          f'{time.perf_counter() - start:.1f} s')
    if 'PASCAL_MT' in written:
        pascal_root = osp.join(args.out_dir, 'PASCAL_MT')
        if args.convert:
            convert_pascal_mt(pascal_root, progress=False)
            print(f'converted {pascal_root}')
        else:
            print('convert PASCAL_MT before use: '
                  f'{converter_command(pascal_root)}')
    if args.class_pixels:
        for name, dataset in (('PASCAL_MT', 'pascal'), ('NYUD_MT', 'nyud')):
            if name not in written:
                continue
            counts = class_pixel_counts(dataset, args.num_train, args.size,
                                        args.seed)
            for task, pixels in counts.items():
                print(f'{name} train {task} class pixels: {tuple(pixels)}')


if __name__ == '__main__':
    main()
