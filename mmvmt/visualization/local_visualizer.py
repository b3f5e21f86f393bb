"""Draw every task of a multi-task sample as one mosaic image."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from ..tasks import BINARY, CLASS, DEPTH, NORMALS, TASKS, TaskSpec, check_tasks
from .class_labels import center_loc, draw_class_names
from .colorize import (Color, class_map_rgb, depth_reference, depth_turbo,
                       generated_palette, normals_rgb, overlay,
                       probability_gray)
from .legends import (class_legend, depth_legend, lines_panel, normals_legend,
                      probability_legend, stack_legends)

__all__ = ['MultiTaskLocalVisualizer', 'class_names_and_palette']

#: A map read from a sample: values ``(C, H, W)`` and valid mask ``(H, W)``.
TaskMap = Tuple[np.ndarray, np.ndarray]
#: Colours one map of a task: ``(values, valid) -> H x W x 3`` RGB tile.
Colorizer = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: Draws a task's legend: ``(width, drawn maps) -> h x width x 3`` panel.
Legend = Callable[[int, Sequence[TaskMap]], np.ndarray]
#: Per-kind factory: ``(spec, image, maps, with_labels) -> (Colorizer,
#: Legend)``.
KindDrawer = Callable[..., Tuple[Colorizer, Legend]]
#: Text of a ground-truth tile whose map is missing or entirely invalid.
NO_ANNOTATION = 'no annotation'


def _has_invalid(maps: Sequence[TaskMap]) -> bool:
    """Whether any of the maps has an invalid pixel."""
    return any(not valid.all() for _, valid in maps)


def class_names_and_palette(dataset_meta: Optional[dict], task: str,
                            num_ids: int) -> Tuple[List[str], List[Color]]:
    """Class names and colours of a class-map task.

    Names come from ``dataset_meta['task_classes'][task]``, colours from
    ``dataset_meta['task_palettes'][task]``. Both are extended to
    ``max(len(names), num_ids, 1)`` entries: missing names are the class
    ids, missing colours those of :func:`generated_palette`.

    Args:
        dataset_meta: The dataset meta info (may be None).
        task: Task name.
        num_ids: One more than the largest class id to draw.

    Returns:
        tuple: ``(names, palette)``, equally long.
    """
    meta = dataset_meta or {}
    names = list((meta.get('task_classes') or {}).get(task) or [])
    palette = list((meta.get('task_palettes') or {}).get(task) or [])
    num = max(len(names), num_ids, 1)
    names += [str(i) for i in range(len(names), num)]
    palette += generated_palette(num)[len(palette):]
    return names, [tuple(int(c) for c in color) for color in palette]


def _resize_nearest(array: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of the last two axes (any dtype)."""
    height, width = array.shape[-2:]
    rows = np.minimum((np.arange(size[0]) * height / size[0]).astype(np.int64),
                      height - 1)
    cols = np.minimum((np.arange(size[1]) * width / size[1]).astype(np.int64),
                      width - 1)
    return array[..., rows[:, None], cols[None, :]]


@VISUALIZERS.register_module()
class MultiTaskLocalVisualizer(SegLocalVisualizer):
    """:class:`SegLocalVisualizer` that draws every task of a sample.

    For a sample holding ``gt_<task>``/``pred_<task>`` fields (see
    :class:`mmvmt.structures.MultiTaskDataSample`) :meth:`add_datasample`
    draws a mosaic of ``H x W`` tiles (every map is resized to the image
    size, nearest neighbour)::

        | image | <task 1> GT   | <task 2> GT   | ...   <- if draw_gt
        | image | <task 1> pred | <task 2> pred | ...   <- if draw_pred

    Tasks come in :data:`mmvmt.tasks.TASKS` order (restricted to the
    sample's ``tasks`` metainfo when present). Tiles are coloured by task
    kind with the functions of :mod:`mmvmt.visualization.colorize`;
    invalid pixels are those of :meth:`TaskSpec.valid_mask`:

    * class maps: palette colours blended over the image with ``alpha``,
      invalid pixels black; names and colours from the dataset meta (see
      :func:`class_names_and_palette`);
    * binary maps: grayscale ``round(p * 255)``, invalid pixels magenta;
    * normals: RGB ``round((n + 1) * 127.5)``, invalid pixels black;
    * depth: ``cv2.COLORMAP_TURBO`` of ``depth / max valid GT depth`` (the
      prediction's maximum if there is no GT), invalid pixels black.

    Class names are written on class-map tiles when ``with_labels`` is True
    and the image's shorter side is at least :attr:`min_label_size` pixels
    (below that they would only hide the map).
    Each tile gets a title (``'<task> GT'`` / ``'<task> pred'``) in its
    top-left corner. A ground-truth tile whose map is missing or entirely
    invalid (e.g. human parts of an image without a person) shows the
    dimmed image and ``no annotation``; a missing prediction gives a black
    tile titled ``n/a``. Without any ground truth (inference) the mosaic is
    the prediction row alone.

    With ``draw_legend`` a band under the mosaic explains each column's
    colours (:mod:`mmvmt.visualization.legends`): the names of the classes
    shown, the probability ramp, a key of the normals' colour code and the
    depth colour bar in metres.
    Samples without task fields (a plain :class:`SegDataSample`) are drawn
    by :class:`SegLocalVisualizer` with mmseg's ``classes``/``palette``.

    Args:
        name: Name of the instance.
        image: Initial RGB image.
        vis_backends: Visual backend configs.
        save_dir: Save directory of the storage backends.
        classes: mmseg class names, used for plain samples only (usually
            set from the dataset's metainfo through :attr:`dataset_meta`).
        palette: mmseg palette, likewise.
        dataset_name: mmseg dataset name giving default classes/palette.
        alpha: Opacity of the class-map colours over the image.
        draw_legend: Whether to draw the legend band. Defaults to True.
        **kwargs: Other arguments of
            :class:`mmengine.visualization.Visualizer`.
    """

    #: Shorter image side (pixels) below which class names are not drawn.
    min_label_size: int = 128

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Dict] = None,
                 save_dir: Optional[str] = None,
                 classes: Optional[List] = None,
                 palette: Optional[List] = None,
                 dataset_name: Optional[str] = None,
                 alpha: float = 0.8,
                 draw_legend: bool = True,
                 **kwargs) -> None:
        super().__init__(name, image, vis_backends, save_dir, classes, palette,
                         dataset_name, alpha, **kwargs)
        self.draw_legend = draw_legend
        self._colorizers: Dict[str, KindDrawer] = {
            CLASS: self._class_colorizer,
            BINARY: self._binary_colorizer,
            NORMALS: self._normals_colorizer,
            DEPTH: self._depth_colorizer,
        }

    def _get_center_loc(self, mask: np.ndarray) -> np.ndarray:
        """Label position of a class (:func:`center_loc`, a faster
        equivalent of the parent's)."""
        return center_loc(mask)

    # ------------------------------------------------------------------
    # which tasks and maps
    # ------------------------------------------------------------------
    @staticmethod
    def _sample_tasks(data_sample: SegDataSample) -> Tuple[str, ...]:
        """Tasks of the sample holding a GT or prediction, TASKS order.

        Raises:
            KeyError: If the ``tasks`` metainfo names an unknown task.
            ValueError: If it has duplicates.
        """
        wanted = data_sample.metainfo.get('tasks', None)
        if wanted is not None:
            wanted = check_tasks(wanted, owner='data sample metainfo')
        return tuple(
            name for name, spec in TASKS.items()
            if (wanted is None or name in wanted) and (
                spec.gt_key in data_sample or spec.pred_key in data_sample))

    @staticmethod
    def _read_map(data_sample: SegDataSample, key: str, spec: TaskSpec,
                  size: Tuple[int, int]) -> Optional[TaskMap]:
        """Return ``(values (C,H,W), valid (H,W))`` at ``size`` or None.

        Raises:
            ValueError: If the map is not ``(gt_channels, H, W)``.
        """
        if key not in data_sample:
            return None
        data = getattr(data_sample, key).data
        if isinstance(data, np.ndarray):
            data = torch.from_numpy(data)
        data = data.detach().cpu()
        if data.ndim != 3 or data.shape[0] != spec.gt_channels:
            raise ValueError(
                f'{key!r} must have shape ({spec.gt_channels}, H, W), got '
                f'{tuple(data.shape)}')
        valid = spec.valid_mask(data)[0].numpy()
        values = _resize_nearest(data.numpy(), size)
        return values, _resize_nearest(valid, size)

    # ------------------------------------------------------------------
    # per-kind colorizers: (spec, image, maps, with_labels) -> (colorizer
    # of one map, legend); ``maps`` are the task's present GT / prediction
    # maps.
    # ------------------------------------------------------------------
    def _class_colorizer(self, spec: TaskSpec, image: np.ndarray,
                         maps: Sequence[TaskMap],
                         with_labels: bool) -> Tuple[Colorizer, Legend]:
        """Palette colours (and names) blended over the image."""
        max_id = max([
            int(values[0][valid].max())
            for values, valid in maps if valid.any()
        ] + [-1])
        classes, palette = class_names_and_palette(self.dataset_meta,
                                                   spec.name, max_id + 1)

        def colorize(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
            ids = values[0].astype(np.int64)
            canvas = class_map_rgb(ids, valid, palette)
            if with_labels:
                draw_class_names(canvas, ids, valid, classes, palette)
            return overlay(image, canvas, valid, self.alpha)

        def legend(width: int, drawn: Sequence[TaskMap]) -> np.ndarray:
            ids = np.unique(
                np.concatenate([values[0][valid] for values, valid in drawn] +
                               [np.zeros(0)]).astype(np.int64))
            return class_legend(width, ids, classes, palette,
                                _has_invalid(drawn))

        return colorize, legend

    @staticmethod
    def _binary_colorizer(spec: TaskSpec, image: np.ndarray,
                          maps: Sequence[TaskMap],
                          with_labels: bool) -> Tuple[Colorizer, Legend]:
        """Grayscale probabilities."""
        return (lambda values, valid: probability_gray(values[0], valid),
                lambda width, drawn: probability_legend(
                    width, _has_invalid(drawn)))

    @staticmethod
    def _normals_colorizer(spec: TaskSpec, image: np.ndarray,
                           maps: Sequence[TaskMap],
                           with_labels: bool) -> Tuple[Colorizer, Legend]:
        """The benchmark's RGB encoding of normals."""
        return normals_rgb, lambda width, drawn: normals_legend(
            width, _has_invalid(drawn))

    @staticmethod
    def _depth_colorizer(spec: TaskSpec, image: np.ndarray,
                         maps: Sequence[TaskMap],
                         with_labels: bool) -> Tuple[Colorizer, Legend]:
        """Turbo colour map scaled by the valid max of the first map (the
        GT's) that has valid pixels."""
        values, valid = next((m for m in maps if m[1].any()), maps[0])
        top = depth_reference(values[0], valid)
        return (
            lambda values, valid: depth_turbo(values[0], valid, top),
            lambda width, drawn: depth_legend(width, top, _has_invalid(drawn)))

    # ------------------------------------------------------------------
    # mosaic
    # ------------------------------------------------------------------
    @staticmethod
    def _put_title(tile: np.ndarray, text: str) -> np.ndarray:
        """Write ``text`` in white on black in the tile's top-left corner."""
        tile = np.ascontiguousarray(tile)
        height, width = tile.shape[:2]
        scale = max(0.3, min(height, width) / 400)
        thickness = 1 if min(height, width) < 300 else 2
        font = cv2.FONT_HERSHEY_SIMPLEX
        (text_w, text_h), baseline = cv2.getTextSize(text, font, scale,
                                                     thickness)
        cv2.rectangle(tile, (0, 0), (text_w + 4, text_h + baseline + 4),
                      (0, 0, 0), -1)
        cv2.putText(tile, text, (2, text_h + 2), font, scale, (255, 255, 255),
                    thickness, cv2.LINE_AA)
        return tile

    @staticmethod
    def _no_annotation_tile(image: np.ndarray) -> np.ndarray:
        """The dimmed image with :data:`NO_ANNOTATION` in the middle."""
        tile = np.ascontiguousarray((image * 0.35).astype(np.uint8))
        height, width = tile.shape[:2]
        font = cv2.FONT_HERSHEY_SIMPLEX
        scale = float(np.clip(width / 300, 0.3, 0.8))
        (text_w, text_h), _ = cv2.getTextSize(NO_ANNOTATION, font, scale, 1)
        org = (max(0, (width - text_w) // 2), (height + text_h) // 2)
        cv2.putText(tile, NO_ANNOTATION, org, font, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
        return tile

    def _task_tiles(self, spec: TaskSpec, image: np.ndarray,
                    data_sample: SegDataSample, keys: Sequence[str],
                    with_labels: bool) -> Tuple[List[np.ndarray], np.ndarray]:
        """The titled tiles of one task, one per row, and its legend.

        Args:
            spec: The task's table entry.
            image: RGB image (sets the tile size).
            data_sample: The sample.
            keys: ``'gt_key'`` / ``'pred_key'``: the rows to draw.
            with_labels: Whether to write class names.

        Returns:
            tuple: One tile per row (``no annotation`` for a missing or
            empty GT, ``n/a`` for a missing prediction) and the legend
            panel (as wide as a tile).
        """
        size = image.shape[:2]
        maps = {}
        for key in ('gt_key', 'pred_key'):
            maps[key] = self._read_map(data_sample, getattr(spec, key), spec,
                                       size)
        present = [m for m in maps.values() if m is not None]
        colorize, legend = self._colorizers[spec.kind](spec, image, present,
                                                       with_labels)
        tiles, drawn = [], []
        for key in keys:
            title = f"{spec.name} {'GT' if key == 'gt_key' else 'pred'}"
            task_map = maps[key]
            if key == 'gt_key' and (task_map is None or not task_map[1].any()):
                tile = self._no_annotation_tile(image)
            elif task_map is None:
                tile, title = np.zeros_like(image), f'{title}: n/a'
            else:
                tile = colorize(*task_map)
                drawn.append(task_map)
            tiles.append(self._put_title(tile, title))
        return tiles, legend(image.shape[1], drawn)

    def draw_multitask_mosaic(
            self,
            image: np.ndarray,
            data_sample: SegDataSample,
            draw_gt: bool = True,
            draw_pred: bool = True,
            with_labels: bool = True,
            draw_legend: Optional[bool] = None) -> np.ndarray:
        """Draw the mosaic of :class:`MultiTaskLocalVisualizer`.

        Args:
            image: RGB ``H x W x 3`` uint8 image.
            data_sample: Sample with ``gt_<task>``/``pred_<task>`` fields.
            draw_gt: Whether to draw the ground-truth row.
            draw_pred: Whether to draw the prediction row.
            with_labels: Whether to write class names on class-map tiles
                (only if the image's shorter side is at least
                :attr:`min_label_size`).
            draw_legend: Whether to add the legend band; None uses the
                instance's ``draw_legend``.

        Returns:
            np.ndarray: RGB ``(R * H + L) x ((1 + T) * W) x 3`` uint8
            mosaic, ``R`` rows (GT, prediction), ``T`` tasks, ``L`` the
            legend band's height (0 without legend).

        Raises:
            ValueError: If the image is not ``H x W x 3``, if a map has the
                wrong shape, or if nothing is left to draw.
        """
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must be an H x W x 3 RGB array, got '
                             f'shape {image.shape}')
        image = np.ascontiguousarray(image, dtype=np.uint8)
        tasks = self._sample_tasks(data_sample)
        # TaskSpec attribute naming the field of each mosaic row.
        keys = [
            key for key, on in (('gt_key', draw_gt), ('pred_key', draw_pred))
            if on and any(
                getattr(TASKS[t], key) in data_sample for t in tasks)
        ]
        if not keys:
            raise ValueError(
                f'nothing to draw: draw_gt={draw_gt}, draw_pred={draw_pred}, '
                f'sample fields {sorted(data_sample.keys())}')
        labels = with_labels and min(image.shape[:2]) >= self.min_label_size
        columns = [
            self._task_tiles(TASKS[task], image, data_sample, keys, labels)
            for task in tasks
        ]
        image_tile = self._put_title(image.copy(), 'image')
        rows = [
            np.concatenate(
                [image_tile] + [col[r] for col, _ in columns], axis=1)
            for r in range(len(keys))
        ]
        if self.draw_legend if draw_legend is None else draw_legend:
            key_panel = lines_panel(image.shape[1], [(None, 'legend:')])
            rows.append(
                stack_legends([key_panel] + [leg for _, leg in columns]))
        return np.concatenate(rows, axis=0)

    @staticmethod
    def _has_task_fields(data_sample: Optional[SegDataSample]) -> bool:
        """Whether the sample holds any ``gt_<task>``/``pred_<task>``."""
        return data_sample is not None and any(
            spec.gt_key in data_sample or spec.pred_key in data_sample
            for spec in TASKS.values())

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True) -> None:
        """Draw a sample and save it to the backends and/or ``out_file``.

        Multi-task samples give the mosaic described in the class
        docstring; other samples go to
        :meth:`SegLocalVisualizer.add_datasample`. As there: ``show``
        displays the image, ``out_file`` writes it, otherwise it is recorded
        with :meth:`add_image` (``name``, ``step``).

        Args:
            name: The image identifier.
            image: RGB image.
            data_sample: The sample to draw.
            draw_gt: Whether to draw the ground truth.
            draw_pred: Whether to draw the predictions.
            show: Whether to display the drawn image.
            wait_time: The interval of show (s).
            out_file: Path of the image file to write.
            step: Global step value to record.
            with_labels: Whether to write class names on class-map tiles.
        """
        if not self._has_task_fields(data_sample):
            return super().add_datasample(name, image, data_sample, draw_gt,
                                          draw_pred, show, wait_time, out_file,
                                          step, with_labels)
        drawn_img = self.draw_multitask_mosaic(image, data_sample, draw_gt,
                                               draw_pred, bool(with_labels))
        self.set_image(drawn_img)
        if show:
            self.show(drawn_img, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn_img), out_file)
        else:
            self.add_image(name, drawn_img, step)
