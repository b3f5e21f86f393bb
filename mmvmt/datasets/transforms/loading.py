"""Load every task's ground-truth map of a multi-task sample.

Each dataset declares, per task, which *decoder* turns the file's bytes
into the pipeline convention of :mod:`mmvmt.tasks`. The decoders live in
:data:`mmvmt.fileio.DECODERS`, keyed by name; a dataset puts the names into
each sample's ``results['ann_decoders']``, so the knowledge of a file
format lives in one place, and this transform stays dataset-agnostic.

A class subset of the dataset (see
:class:`~mmvmt.datasets.BaseMultiTaskDataset`) reaches this transform as
mmseg's ``results['label_map']``, which is applied to the decoded
``semseg`` map here, as mmseg's ``LoadAnnotations`` does for its map.

Values are checked here, per task kind of :mod:`mmvmt.tasks`, so bad ground
truth stops at the file that holds it (not as an ``IndexError`` deep in a
loss, nor as a silently wrong metric): class ids must lie below the
dataset's class count (``results['task_num_classes']``) or be the ignore
value, binary maps must be 0, 1 or ignore, and a decoder's refusal
(:class:`~mmvmt.fileio.RefusedValues`: a 0/1 saliency export, integer
depth without a unit) names the dataset option that reads the file as
meant.
"""
from typing import Mapping, Optional

import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...fileio import DecoderSpec, RefusedValues, decoder_repr, get_decoder
from ...tasks import BINARY, CLASS, TaskSpec, get_task

__all__ = ['LoadMultiTaskAnnotations', 'apply_label_map']

#: The task ``results['label_map']`` applies to (mmseg's semantic map).
_LABEL_MAP_TASK = 'semseg'


def apply_label_map(gt: np.ndarray,
                    label_map: Mapping[int, int],
                    ignore_value: int = 255) -> np.ndarray:
    """Renumber a uint8 class map (mmseg's class-subset ``label_map``).

    Every pixel is looked up once (a table, not a chain of replacements),
    so a new id that equals another old id is not renumbered again. Ids
    the map does not name keep their value, as in mmseg's
    ``LoadAnnotations``; ``ignore_value`` always stays.

    Args:
        gt: ``HxW`` uint8 class ids.
        label_map: Old id -> new id (new id ``ignore_value`` drops a
            class).
        ignore_value: The ignore id. Defaults to 255.

    Returns:
        np.ndarray: A new uint8 map.

    Raises:
        ValueError: If ``gt`` is not uint8, or the map renumbers
            ``ignore_value`` or holds an id outside ``[0, 255]``.
    """
    if gt.dtype != np.uint8:
        raise ValueError(f'label_map applies to uint8 class maps, got dtype '
                         f'{gt.dtype}')
    lut = np.arange(256, dtype=np.uint8)
    for old, new in label_map.items():
        if not (0 <= int(old) <= 255 and 0 <= int(new) <= 255):
            raise ValueError(f'label_map entry {old} -> {new}: ids must be '
                             'in [0, 255]')
        if int(old) == ignore_value and int(new) != ignore_value:
            raise ValueError(f'label_map renumbers the ignore id '
                             f'{ignore_value} (to {new})')
        lut[int(old)] = int(new)
    return lut[gt]


@TRANSFORMS.register_module()
class LoadMultiTaskAnnotations(BaseTransform):
    """Load the ground truth of every task of a sample.

    A sample without ``tasks`` (an image given to an inference API such as
    mmseg's ``inference_model``, with no annotation files) passes through
    unchanged, so the test pipeline of every config also serves inference.
    Once ``tasks`` is set (the multi-task datasets set it), every task's
    file and decoder are required.

    Required keys:

    - tasks (tuple[str], optional): Tasks to load; absent or empty: nothing
      is loaded.
    - ``<task>_path`` (str): Ground-truth file of each task.
    - ann_decoders (dict[str, str | dict]): Decoder of each task: a name
      in :data:`mmvmt.fileio.DECODERS` or a dict with the name under
      ``type`` and the decoder's options.
    - task_num_classes (dict[str, int], optional): Class count of each
      class-map task (after a class subset); ids must be below it or the
      ignore value. Absent for a task: its ids are not range-checked.
    - ori_shape (tuple, optional): Original image size; if present each
      map must have this spatial size.
    - label_map (dict[int, int], optional): mmseg's class-subset map (old
      id -> new id, 255 drops a class), set by the dataset for a class
      subset; applied to the ``semseg`` map only (see
      :func:`apply_label_map`). Absent or None: maps stay as decoded.

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
        KeyError: If a ``<task>_path`` or a decoder of a listed task is
            missing.
        FileNotFoundError: If a ground-truth file does not exist.
        ValueError: If a file cannot be decoded or its values are
            refused, or the decoded map has the wrong dtype, channel count
            or size, or holds class ids out of range (the message names
            the file and the values seen), or on a bad ``label_map``.
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
            dict: ``results`` with the ``gt_<task>`` maps added; unchanged
            if it lists no ``tasks``.
        """
        if not results.get('tasks'):
            return results
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
            mapped = (
                task == _LABEL_MAP_TASK
                and results.get('label_map') is not None)
            if mapped:
                gt = apply_label_map(gt, results['label_map'],
                                     int(spec.ignore_value))
            num_classes = (results.get('task_num_classes') or {}).get(task)
            _check_ids(spec, gt, path, num_classes, mapped)
            results[spec.gt_key] = gt
            if spec.gt_key not in seg_fields:
                seg_fields.append(spec.gt_key)
        return results

    def _load(self, task: str, path: str,
              decoder_spec: DecoderSpec) -> np.ndarray:
        decoder = get_decoder(decoder_spec)
        name = decoder_repr(decoder_spec)
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
        except RefusedValues as e:
            raise ValueError(
                f'{task} annotation file {path} is refused by decoder '
                f'{name}: {e}. If the files are meant that way, give the '
                f'dataset ann_decoders=dict({task}='
                f'{decoder_repr(e.accepted_by)})') from e
        except Exception as e:
            raise ValueError(f'cannot decode {task} annotation file {path} '
                             f'with decoder {name}: {e}') from e

    @staticmethod
    def _check(spec: TaskSpec, gt: np.ndarray, path: str,
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


def _check_ids(spec: TaskSpec, gt: np.ndarray, path: str,
               num_classes: Optional[int], mapped: bool) -> None:
    """Ids of a class or binary map: below the class count, or ignore.

    Binary maps have two classes; class maps the count the dataset gives
    (none given: not checked).

    Raises:
        ValueError: Naming the file, the ids seen out of range and the
            valid range.
    """
    if spec.kind == BINARY:
        num_classes = 2
    if spec.kind not in (CLASS, BINARY) or num_classes is None:
        return
    seen = np.flatnonzero(np.bincount(gt.ravel(), minlength=256))
    bad = seen[(seen >= num_classes) & (seen != spec.ignore_value)]
    if bad.size:
        where = ' after the class-subset label_map' if mapped else ''
        raise ValueError(
            f'{spec.name} annotation file {path} holds id(s) {bad.tolist()}'
            f'{where}; valid ids are 0..{num_classes - 1} ({num_classes} '
            f'classes) and {int(spec.ignore_value)} (ignore). Ids seen: '
            f'{seen.tolist()}')
