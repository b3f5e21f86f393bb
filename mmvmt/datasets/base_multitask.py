"""Base class of the multi-task datasets: one image, one map per task.

Why :class:`mmseg.datasets.BaseSegDataset` and not mmengine's
``BaseDataset``: mmseg's tools, visualiser and hooks expect its metainfo
(``classes``, ``palette``, ``reduce_zero_label``, ``label_map``) and its
``test_mode`` checks, which we inherit for the ``semseg`` task. Only
:meth:`load_data_list` is replaced, because every sample carries one file
per task instead of a single segmentation map.

Class subsets work as in mmseg: ``metainfo=dict(classes=...)`` naming some
of the ``semseg`` classes (in the order of the new ids) makes mmseg
compute ``label_map`` (old id -> new id, dropped classes -> 255). The
``palette`` and the ``semseg`` entries of ``task_classes`` and
``task_palettes`` become the subset's, and every data info carries the
``label_map``, which ``LoadMultiTaskAnnotations``
(:mod:`mmvmt.datasets.transforms.loading`) applies to the decoded
``semseg`` map. The full class list, in its own order, changes nothing.
"""
from typing import (Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union)

import mmengine
import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset

from ..fileio import DecoderSpec, get_decoder
from ..tasks import CLASS, check_tasks, get_task

__all__ = ['TaskAnnotation', 'BaseMultiTaskDataset']


class TaskAnnotation(NamedTuple):
    """Where a task's ground truth of image ``<id>`` lives on disk.

    Args:
        dirs: Candidate folders relative to ``data_root``; for each image
            the first folder holding ``<id><suffix>`` wins.
        suffix: File suffix, e.g. ``'.png'``.
        decoder: Name of the decoder in :data:`mmvmt.fileio.DECODERS`.
        converted: Whether the files are produced by the dataset's
            converter (``CONVERTER``) from raw annotations.
    """

    dirs: Tuple[str, ...]
    suffix: str
    decoder: str
    converted: bool = False


class BaseMultiTaskDataset(BaseSegDataset):
    """Multi-task dataset listing an image and one file per requested task.

    Subclasses set the class attributes below. Each data info holds
    ``img_path``, ``<task>_path`` for each task, ``ann_decoders`` (task ->
    decoder, read by ``LoadMultiTaskAnnotations``), ``tasks``,
    ``seg_fields`` (empty), ``reduce_zero_label`` (False: zero-label
    reduction is the decoder's job), ``sample_idx`` and, with a class
    subset, ``label_map`` (``semseg`` old id -> new id, 255 for a dropped
    class). :meth:`get_data_info` adds ``task_num_classes`` (class-map
    task -> class count, after a class subset), against which the loader
    checks every label's ids.

    Metainfo: ``classes``/``palette`` of the ``semseg`` task (for mmseg
    tools), ``task_classes`` (task -> class names) and ``task_palettes``
    (task -> one RGB triple per class) for every class-map task of the
    dataset (the metric and the visualiser read only these two), and
    ``tasks`` (the requested tasks).

    Args:
        data_root: Dataset root folder.
        split: Split name; its image ids are read from ``SPLIT_FILE``.
            Defaults to ``'train'``.
        tasks: Tasks to load; defaults to ``DEFAULT_TASKS``.
        pipeline: Processing pipeline. Defaults to ``()``.
        metainfo: Extra metainfo. ``classes`` may name a subset of the
            ``semseg`` classes, in the order of the new ids (see the
            module docstring); the ``semseg`` metric then averages over
            the subset.
        test_mode: Whether the dataset is used for testing.
        ann_decoders: Task -> decoder, replacing the dataset's default
            (``TASK_ANNS``) for files stored another way: a name in
            :data:`mmvmt.fileio.DECODERS` or a dict with the name under
            ``type`` and the decoder's options, e.g.
            ``dict(sal='binary_png')`` for 0/1 saliency pngs or
            ``dict(depth=dict(type='depth_npy', scale=0.001))`` for
            integer millimetres. Defaults to None.
        backend_args: File backend arguments (mmengine.fileio).
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (``indices``, ``serialize_data``, ``lazy_init``,
            ``max_refetch``, ``filter_cfg``).

    Raises:
        KeyError: On an unknown task name or decoder name.
        TypeError: On decoder options the decoder does not take.
        ValueError: On a task the dataset does not provide, a decoder
            for a task that is not loaded, metainfo
            ``classes`` that are not distinct class names of the dataset
            (the message names the unknown ones and lists the dataset's),
            or a class-map task without classes or with a palette of
            another length.
        FileNotFoundError: On a missing root, split file, image or
            annotation file (the message names it; for converted
            annotations it gives the converter command).
    """

    #: Split file relative to ``data_root``; ``{split}`` is substituted.
    SPLIT_FILE: str = ''
    #: Image folder relative to ``data_root`` and image suffix.
    IMG_DIR: str = ''
    IMG_SUFFIX: str = '.jpg'
    #: Task -> :class:`TaskAnnotation`: the tasks the dataset provides.
    TASK_ANNS: Dict[str, TaskAnnotation] = {}
    #: Tasks loaded when ``tasks`` is not given.
    DEFAULT_TASKS: Tuple[str, ...] = ()
    #: Converter producing the ``converted`` annotations (maps the data
    #: root to the command line), if any.
    CONVERTER: Optional[Callable[[str], str]] = None
    #: ``(data_root, task, img_id) -> raw paths`` a converted map is made
    #: from (named when that map is missing), if any.
    RAW_SOURCES: Optional[Callable[[str, str, str], List[str]]] = None

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 tasks: Optional[Union[str, Sequence[str]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 metainfo: Optional[dict] = None,
                 test_mode: bool = False,
                 ann_decoders: Optional[Mapping[str, DecoderSpec]] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        name = self.__class__.__name__
        if not data_root:
            raise ValueError(f'{name}: data_root must be given')
        self.split = split
        self.tasks = check_tasks(
            self.DEFAULT_TASKS if tasks is None else tasks,
            available=tuple(self.TASK_ANNS),
            owner=name)
        self.ann_decoders = self._decoders(ann_decoders or {})
        metainfo = dict(metainfo or {})
        metainfo['tasks'] = self.tasks
        if metainfo.get('classes') is not None:
            self._check_class_subset(metainfo['classes'])
        super().__init__(
            ann_file=self.SPLIT_FILE.format(split=split),
            img_suffix=self.IMG_SUFFIX,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img_path=self.IMG_DIR),
            pipeline=list(pipeline),
            test_mode=test_mode,
            backend_args=backend_args,
            **kwargs)
        if self.label_map is not None:
            self._use_class_subset(palette_given='palette' in metainfo)
        self._check_task_meta()
        classes = self._metainfo['task_classes']
        self._num_classes = {
            t: len(classes[t])
            for t in self.tasks if get_task(t).kind == CLASS
        }

    def _decoders(self, given: Mapping[str, DecoderSpec]) -> dict:
        """Each loaded task's decoder: ``given`` over ``TASK_ANNS``.

        Raises:
            ValueError: If ``given`` names a task that is not loaded.
            KeyError, TypeError: On an unknown decoder or bad options.
        """
        extra = [t for t in given if t not in self.tasks]
        if extra:
            raise ValueError(
                f'{self.__class__.__name__}: ann_decoders given for '
                f'{extra}, which are not loaded (tasks: {list(self.tasks)})')
        decoders = {
            t: given.get(t, self.TASK_ANNS[t].decoder)
            for t in self.tasks
        }
        for spec in decoders.values():
            get_decoder(spec)  # unknown names or options fail here
        return decoders

    def get_data_info(self, idx: int) -> dict:
        """The data info of ``idx``, with ``task_num_classes`` added.

        Args:
            idx: Sample index.

        Returns:
            dict: See the class docstring.
        """
        info = super().get_data_info(idx)
        info['task_num_classes'] = dict(self._num_classes)
        return info

    @classmethod
    def _check_class_subset(cls, classes: Sequence[str]) -> None:
        """Metainfo ``classes`` are distinct ``semseg`` class names.

        Raises:
            ValueError: Otherwise, naming the offending entries and the
                dataset's classes.
        """
        name = cls.__name__
        known = tuple(cls.METAINFO.get('classes') or ())
        if isinstance(classes, str) or not isinstance(classes, Sequence):
            raise ValueError(
                f'{name}: metainfo classes must be a list or tuple of '
                f'class names, got {classes!r}')
        if not classes:
            raise ValueError(f'{name}: metainfo classes is empty; give '
                             f'some of the classes {list(known)}')
        unknown = [c for c in classes if c not in known]
        if unknown:
            raise ValueError(
                f'{name}: metainfo classes {unknown} are not semseg '
                f'classes of {name}; its classes are {list(known)}')
        repeated = sorted({c for c in classes if list(classes).count(c) > 1})
        if repeated:
            raise ValueError(f'{name}: metainfo classes lists {repeated} '
                             'more than once')

    def _use_class_subset(self, palette_given: bool) -> None:
        """Make the ``semseg`` task's classes and palette the subset's.

        mmseg has already set ``label_map``. Without a ``palette`` in the
        given metainfo, the palette is the dataset's colours of the subset
        in new-id order (mmseg's ``_update_palette`` would keep a full
        palette as it is when the subset only reorders the classes).

        Args:
            palette_given: Whether the metainfo given to the dataset holds
                a ``palette`` (then mmseg's choice stands).
        """
        meta = self._metainfo
        if not palette_given:
            full = self.METAINFO['palette']
            kept = sorted((new, old) for old, new in self.label_map.items()
                          if new != 255)
            meta['palette'] = [list(full[old]) for _, old in kept]
        meta['task_classes'] = dict(
            meta['task_classes'], semseg=tuple(meta['classes']))
        meta['task_palettes'] = dict(
            meta['task_palettes'], semseg=meta['palette'])

    def _check_task_meta(self) -> None:
        """Every class-map task has class names and a matching palette."""
        classes = self._metainfo.get('task_classes') or {}
        palettes = self._metainfo.get('task_palettes') or {}
        for task in self.TASK_ANNS:
            if get_task(task).kind != CLASS:
                continue
            if task not in classes or task not in palettes:
                raise ValueError(
                    f'{self.__class__.__name__}: metainfo task_classes and '
                    f'task_palettes must both describe class task {task!r}')
            if len(palettes[task]) != len(classes[task]):
                raise ValueError(
                    f'{self.__class__.__name__}: task_palettes[{task!r}] has '
                    f'{len(palettes[task])} colours for '
                    f'{len(classes[task])} classes')

    # ------------------------------------------------------------ listing
    def load_data_list(self) -> List[dict]:
        """Read the split file and build one data info per image.

        Returns:
            list[dict]: Data infos, in split-file order.
        """
        name = self.__class__.__name__
        if not fileio.isdir(self.data_root, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'{name}: data_root {self.data_root} does not exist')
        if not fileio.isfile(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'{name}: split file {self.ann_file} of split '
                f'{self.split!r} not found')
        ids = [
            line.strip() for line in mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args) if line.strip()
        ]
        if not ids:
            raise ValueError(f'{name}: split file {self.ann_file} lists no '
                             'images')
        self._check_converted()
        data_list = []
        for img_id in ids:
            img_path = fileio.join_path(self.data_prefix['img_path'],
                                        img_id + self.img_suffix)
            if not fileio.isfile(img_path, backend_args=self.backend_args):
                raise FileNotFoundError(
                    f'{name}: image {img_path} of split {self.split!r} not '
                    'found')
            info = dict(img_path=img_path)
            for task in self.tasks:
                info[get_task(task).path_key] = self._ann_path(task, img_id)
            info.update(
                ann_decoders=dict(self.ann_decoders),
                tasks=self.tasks,
                seg_fields=[],
                reduce_zero_label=False)
            if self.label_map is not None:
                info['label_map'] = dict(self.label_map)
            data_list.append(info)
        return data_list

    def _ann_path(self, task: str, img_id: str) -> str:
        """First existing annotation file of ``task`` for ``img_id``."""
        ann = self.TASK_ANNS[task]
        candidates = [
            fileio.join_path(self.data_root, d, img_id + ann.suffix)
            for d in ann.dirs
        ]
        for path in candidates:
            if fileio.isfile(path, backend_args=self.backend_args):
                return path
        msg = (f'{self.__class__.__name__}: {task} annotation of image '
               f'{img_id!r} not found (looked for '
               f'{" and ".join(candidates)})')
        if ann.converted and self.RAW_SOURCES is not None:
            raw = self.RAW_SOURCES(self.data_root, task, img_id)
            rerun = (f're-run: {self.CONVERTER(self.data_root)}'
                     if self.CONVERTER is not None else 're-run the converter')
            msg += ('; the converter writes nothing for an image whose raw '
                    f'files it cannot read: check {" and ".join(raw)} (a '
                    'converter run with --skip-bad lists the bad ones), fix '
                    f'them and {rerun}, or remove {img_id!r} from '
                    f'{self.ann_file}')
        elif ann.converted and self.CONVERTER is not None:
            msg += ('; the converted maps look incomplete, re-run: '
                    f'{self.CONVERTER(self.data_root)}')
        raise FileNotFoundError(msg)

    def _check_converted(self) -> None:
        """Fail early, with the converter command, on an unconverted tree."""
        for task in self.tasks:
            ann = self.TASK_ANNS[task]
            if not ann.converted:
                continue
            folder = fileio.join_path(self.data_root, ann.dirs[0])
            if not fileio.isdir(folder, backend_args=self.backend_args):
                raise FileNotFoundError(
                    f'{self.__class__.__name__}: converted {task} maps '
                    f'{folder} not found: the raw tree has not been '
                    'converted yet. Run once: '
                    f'{self.CONVERTER(self.data_root)}')
