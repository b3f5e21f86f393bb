"""Load every task's ground-truth map of a multi-task sample.

Each dataset declares, per task, which *decoder* turns the file's bytes
into the pipeline convention of :mod:`mmvmt.tasks` (class/binary maps
``uint8`` HxW with 255 ignore, normals ``float32`` HxWx3 with 255 in all
channels where invalid, depth ``float32`` HxW metres with 0 invalid). The
decoders live in :data:`ANN_DECODERS`, keyed by name; a dataset puts the
names into each sample's ``results['ann_decoders']``, so the knowledge of a
file format lives in one place per dataset, and this transform stays
dataset-agnostic.
"""
import io
from typing import Callable, Dict, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...tasks import get_task

__all__ = [
    'ANN_DECODERS', 'register_ann_decoder', 'get_ann_decoder',
    'LoadMultiTaskAnnotations', 'encode_normals'
]

#: A decoder maps ``(file bytes, image decoding backend)`` to a ground-truth
#: array following the :mod:`mmvmt.tasks` pipeline conventions.
AnnDecoder = Callable[[bytes, str], np.ndarray]

#: Registry of annotation decoders, keyed by name.
ANN_DECODERS: Dict[str, AnnDecoder] = {}


def register_ann_decoder(name: str) -> Callable[[AnnDecoder], AnnDecoder]:
    """Decorator that registers a decoder in :data:`ANN_DECODERS`.

    Args:
        name: Decoder name used by datasets in ``ann_decoders``.

    Returns:
        Callable: The decorator (it returns the function unchanged).

    Raises:
        KeyError: If the name is already taken.
    """

    def _register(fn: AnnDecoder) -> AnnDecoder:
        if name in ANN_DECODERS:
            raise KeyError(f'annotation decoder {name!r} is already '
                           'registered')
        ANN_DECODERS[name] = fn
        return fn

    return _register


def get_ann_decoder(name: str) -> AnnDecoder:
    """Look up a decoder by name.

    Raises:
        KeyError: For an unknown name; the message lists known decoders.
    """
    try:
        return ANN_DECODERS[name]
    except KeyError:
        raise KeyError(f'unknown annotation decoder {name!r}; known: '
                       f'{sorted(ANN_DECODERS)}') from None


# --------------------------------------------------------------- helpers
def _image(content: bytes,
           backend: str,
           flag: str = 'unchanged',
           channel_order: str = 'bgr') -> np.ndarray:
    img = mmcv.imfrombytes(
        content, flag=flag, channel_order=channel_order, backend=backend)
    if img is None:  # cv2 returns None instead of raising
        raise ValueError('the bytes are not a decodable image')
    return img


def _npy(content: bytes) -> np.ndarray:
    with io.BytesIO(content) as buff:
        return np.load(buff, allow_pickle=False)


def _single_channel(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError('expected a single-channel HxW map, got shape '
                         f'{arr.shape}')
    return arr


def _as_uint8_labels(arr: np.ndarray) -> np.ndarray:
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f'expected integer labels, got dtype {arr.dtype}')
    if arr.dtype != np.uint8:
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError('labels must lie in [0, 255], found range '
                             f'[{arr.min()}, {arr.max()}]')
        arr = arr.astype(np.uint8)
    return arr


# -------------------------------------------------------------- decoders
@register_ann_decoder('class_png')
def decode_class_png(content: bytes, backend: str) -> np.ndarray:
    """Single-channel class-id png (palette pngs give their indices).

    Use the ``'pillow'`` backend for palette pngs (PASCAL VOC): OpenCV would
    return the palette colours instead of the indices.
    """
    return _as_uint8_labels(_single_channel(_image(content, backend)))


@register_ann_decoder('class_png_reduce_zero')
def decode_class_png_reduce_zero(content: bytes, backend: str) -> np.ndarray:
    """Class png with 0 = unlabelled (NYUD): 0 -> 255, k -> k - 1."""
    labels = decode_class_png(content, backend)
    out = labels - np.uint8(1)
    out[(labels == 0) | (labels == 255)] = 255
    return out


@register_ann_decoder('binary_png_threshold')
def decode_binary_png_threshold(content: bytes, backend: str) -> np.ndarray:
    """Soft grey-scale map (PASCAL distilled saliency): ``v / 255 > 0.5``."""
    grey = _single_channel(_image(content, backend, flag='grayscale'))
    if grey.dtype != np.uint8:
        raise ValueError(f'expected an 8-bit png, got dtype {grey.dtype}')
    return (grey.astype(np.float32) / 255. > 0.5).astype(np.uint8)


@register_ann_decoder('binary_png')
def decode_binary_png(content: bytes, backend: str) -> np.ndarray:
    """Binary png already in {0, 1} (255 = ignore), returned as is."""
    labels = decode_class_png(content, backend)
    bad = np.setdiff1d(np.unique(labels), (0, 1, 255))
    if bad.size:
        raise ValueError('expected values in {0, 1, 255}, found '
                         f'{bad.tolist()[:8]}')
    return labels


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """Encode normals as RGB ``uint8``: ``v = round((n + 1) * 127.5)``.

    The inverse of :func:`decode_normals_png` (``n = 2 v / 255 - 1``) up to
    quantisation: the PASCAL ``normals_distill`` format, also used to write
    and draw predicted normals.

    Args:
        normals: ``(H, W, 3)`` vectors with components in [-1, 1].

    Returns:
        np.ndarray: ``(H, W, 3)`` ``uint8`` RGB.
    """
    return np.clip(np.round((normals + 1.) * 127.5), 0, 255).astype(np.uint8)


@register_ann_decoder('normals_png')
def decode_normals_png(content: bytes, backend: str) -> np.ndarray:
    """RGB png normals ``n = 2 v / 255 - 1``; an all-zero pixel is invalid.

    The png stores (x, y, z) in the R, G, B channels; it is decoded in RGB
    order (OpenCV's default would be BGR).
    """
    rgb = _image(content, backend, flag='color', channel_order='rgb')
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError('expected an 8-bit RGB png, got dtype '
                         f'{rgb.dtype} and shape {rgb.shape}')
    normals = rgb.astype(np.float32) * np.float32(2. / 255.) - np.float32(1.)
    normals[(rgb == 0).all(axis=-1)] = 255
    return normals


@register_ann_decoder('normals_npy')
def decode_normals_npy(content: bytes, backend: str) -> np.ndarray:
    """HxWx3 ``.npy`` normals; zero or non-finite vectors are invalid."""
    arr = _npy(content)
    if arr.ndim != 3 or arr.shape[2] != 3 or not np.issubdtype(
            arr.dtype, np.floating):
        raise ValueError('expected a float HxWx3 array, got dtype '
                         f'{arr.dtype} and shape {arr.shape}')
    normals = arr.astype(np.float32)
    invalid = (normals == 0).all(axis=-1) | ~np.isfinite(normals).all(-1)
    normals[invalid] = 255
    return normals


@register_ann_decoder('depth_npy')
def decode_depth_npy(content: bytes, backend: str) -> np.ndarray:
    """HxW ``.npy`` depth in metres; non-finite or negative values -> 0."""
    arr = _single_channel(_npy(content))
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f'expected a numeric array, got dtype {arr.dtype}')
    depth = arr.astype(np.float32)
    depth[~np.isfinite(depth) | (depth < 0)] = 0
    return depth


@register_ann_decoder('binary_npy')
def decode_binary_npy(content: bytes, backend: str) -> np.ndarray:
    """HxW ``.npy`` binary map (NYUD edges): ``> 0.5`` -> 1, non-finite
    -> 255 (ignore)."""
    arr = _single_channel(_npy(content))
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        raise ValueError(f'expected a numeric array, got dtype {arr.dtype}')
    arr = arr.astype(np.float32)
    out = (arr > 0.5).astype(np.uint8)
    out[~np.isfinite(arr)] = 255
    return out


# ------------------------------------------------------------- transform
@TRANSFORMS.register_module()
class LoadMultiTaskAnnotations(BaseTransform):
    """Load the ground truth of every task of a sample.

    Required keys:

    - tasks (tuple[str]): Tasks to load.
    - ``<task>_path`` (str): Ground-truth file of each task.
    - ann_decoders (dict[str, str]): Decoder name of each task (see
      :data:`ANN_DECODERS`).
    - ori_shape (tuple, optional): Original image size; if present each
      map must have this spatial size.

    Added keys:

    - ``gt_<task>`` (np.ndarray): One map per task (see :mod:`mmvmt.tasks`).
    - seg_fields (list[str]): ``gt_<task>`` keys are appended, so mmseg's
      geometric transforms move them with the image.

    Args:
        imdecode_backend: Backend of :func:`mmcv.imfrombytes` for png maps.
            Defaults to ``'pillow'`` (as mmseg's ``LoadAnnotations``), which
            reads palette pngs as indices.
        backend_args: Arguments to instantiate a file backend, see
            :func:`mmengine.fileio.get`. Defaults to None.

    Raises (from :meth:`transform`):
        KeyError: If ``tasks``, a ``<task>_path`` or a decoder is missing.
        FileNotFoundError: If a ground-truth file does not exist.
        ValueError: If a file cannot be decoded, or the decoded map has the
            wrong dtype, channel count or size; the message names the file.
    """

    def __init__(self,
                 imdecode_backend: str = 'pillow',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__()
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        """Decode each task's map into ``results['gt_<task>']``.

        Args:
            results: Result dict from the dataset (after image loading).

        Returns:
            dict: ``results`` with the ``gt_<task>`` maps added.
        """
        if 'tasks' not in results:
            raise KeyError("LoadMultiTaskAnnotations needs results['tasks'] "
                           '(set by the multi-task datasets)')
        decoders = results.get('ann_decoders') or {}
        seg_fields = results.setdefault('seg_fields', [])
        for task in results['tasks']:
            spec = get_task(task)
            if spec.path_key not in results:
                raise KeyError(f'results has no {spec.path_key!r} for task '
                               f'{task!r}')
            if task not in decoders:
                raise KeyError(f"results['ann_decoders'] has no decoder for "
                               f'task {task!r}')
            path = results[spec.path_key]
            gt = self._load(task, path, decoders[task])
            self._check(spec, gt, path, results.get('ori_shape'))
            results[spec.gt_key] = gt
            if spec.gt_key not in seg_fields:
                seg_fields.append(spec.gt_key)
        return results

    def _load(self, task: str, path: str, decoder_name: str) -> np.ndarray:
        decoder = get_ann_decoder(decoder_name)
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'{task} annotation file {path} does not exist') from None
        except Exception as e:
            raise OSError(f'cannot read {task} annotation file {path}: '
                          f'{e}') from e
        try:
            return decoder(content, self.imdecode_backend)
        except Exception as e:
            raise ValueError(f'cannot decode {task} annotation file {path} '
                             f'with decoder {decoder_name!r}: {e}') from e

    @staticmethod
    def _check(spec, gt: np.ndarray, path: str,
               ori_shape: Optional[tuple]) -> None:
        expected = (2, ) if spec.gt_channels == 1 else (3, spec.gt_channels)
        if gt.dtype != np.dtype(spec.gt_dtype) or gt.ndim != expected[0] or (
                gt.ndim == 3 and gt.shape[2] != expected[1]):
            raise ValueError(
                f'{spec.name} annotation file {path} decoded to dtype '
                f'{gt.dtype} and shape {gt.shape}; expected {spec.gt_dtype} '
                f'with {spec.gt_channels} channel(s): check the decoder')
        if ori_shape is not None and tuple(gt.shape[:2]) != tuple(
                ori_shape[:2]):
            raise ValueError(
                f'{spec.name} annotation file {path} has size '
                f'{gt.shape[:2]}, but its image has size {tuple(ori_shape)}')

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(imdecode_backend='
            f'{self.imdecode_backend!r}, backend_args={self.backend_args})')
