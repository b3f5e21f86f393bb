"""Turn what a user passes to an inferencer into a checked list of images.

Accepted: an image path, a folder (its images, sorted by name, not
recursive), a numpy array (``H x W x 3`` ``uint8`` in BGR order, as
``mmcv.imread`` returns it) or a list / tuple of paths and arrays.
"""
import os
import os.path as osp
from typing import List, NamedTuple, Sequence, Union

import numpy as np

__all__ = ['IMAGE_SUFFIXES', 'ImageInput', 'list_inputs', 'output_stems']

#: File suffixes taken from a folder (case-insensitive).
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')

Inputs = Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]


class ImageInput(NamedTuple):
    """One input image.

    Args:
        data: Its path or its BGR array.
        name: File stem of its outputs: the image's file stem, or the
            8-digit index of an array in the input list.
    """

    data: Union[str, np.ndarray]
    name: str


def _check_array(array: np.ndarray, index: int) -> None:
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(
            f'input array #{index} must be an H x W x 3 uint8 BGR image (as '
            f'mmcv.imread returns), got dtype {array.dtype} and shape '
            f'{array.shape}')


def _folder_images(folder: str) -> List[str]:
    names = sorted(
        name for name in os.listdir(folder)
        if name.lower().endswith(IMAGE_SUFFIXES)
        and osp.isfile(osp.join(folder, name)))
    if not names:
        raise FileNotFoundError(
            f'folder {folder} holds no image (suffixes {IMAGE_SUFFIXES})')
    return [osp.join(folder, name) for name in names]


def list_inputs(inputs: Inputs) -> List[ImageInput]:
    """Expand and check the inputs.

    Args:
        inputs: See the module docstring.

    Returns:
        list[ImageInput]: One entry per image, in order.

    Raises:
        FileNotFoundError: For a path that does not exist or a folder
            without images; the message names it.
        TypeError: For an input of another type.
        ValueError: For an array that is not an ``H x W x 3`` ``uint8``
            image, or an empty list.
    """
    if isinstance(inputs, str) and osp.isdir(inputs):
        items: list = _folder_images(inputs)
    elif isinstance(inputs, (str, np.ndarray)):
        items = [inputs]
    elif isinstance(inputs, (list, tuple)):
        items = list(inputs)
    else:
        raise TypeError('inputs must be an image path, a folder, a numpy '
                        f'array or a list of them, got {type(inputs)}')
    if not items:
        raise ValueError('no input image given')
    listed = []
    for index, item in enumerate(items):
        if isinstance(item, np.ndarray):
            _check_array(item, index)
            listed.append(ImageInput(item, f'{index:08d}'))
        elif isinstance(item, str):
            if not osp.isfile(item):
                raise FileNotFoundError(f'input image {item} does not exist')
            listed.append(
                ImageInput(item,
                           osp.splitext(osp.basename(item))[0]))
        else:
            raise TypeError(f'input #{index} must be an image path or a '
                            f'numpy array, got {type(item)}')
    return listed


def output_stems(images: Sequence[ImageInput]) -> List[str]:
    """The output names of the images, checked to be unique.

    Args:
        images: The inputs.

    Returns:
        list[str]: One name per image.

    Raises:
        ValueError: If two inputs would write the same output files.
    """
    seen = {}
    for image in images:
        if image.name in seen:
            first = seen[image.name]
            raise ValueError(
                f'inputs {first} and {_describe(image)} would both write '
                f'outputs named {image.name!r}: rename one or run them '
                'separately')
        seen[image.name] = _describe(image)
    return [image.name for image in images]


def _describe(image: ImageInput) -> str:
    return image.data if isinstance(image.data, str) else \
        f'array {image.name}'
