"""Draw every task of a multi-task sample as one mosaic image."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from ..datasets.transforms.loading import encode_normals
from ..tasks import BINARY, CLASS, DEPTH, NORMALS, TASKS, TaskSpec, \
    check_tasks

__all__ = ['MultiTaskLocalVisualizer', 'generated_palette']

#: The task described by mmseg's own ``classes``/``palette`` metainfo keys
#: (see :class:`mmvmt.datasets.BaseMultiTaskDataset`).
METAINFO_TASK = 'semseg'
#: Colour of invalid pixels in every tile but the grayscale ones.
INVALID_COLOR = (0, 0, 0)
#: Colour of ignore pixels in grayscale (binary) tiles, where black already
#: means background.
INVALID_GRAY_COLOR = (255, 0, 255)

#: A pair of optional RGB tiles: (ground truth, prediction).
TilePair = Tuple[Optional[np.ndarray], Optional[np.ndarray]]


def generated_palette(num_colors: int) -> List[Tuple[int, int, int]]:
    """The PASCAL VOC bit-interleaved colour map (0 is black).

    Deterministic, and equal to the VOC palette for the first 21 entries.

    Args:
        num_colors: Number of colours.

    Returns:
        list[tuple]: ``num_colors`` RGB triples.
    """
    palette = []
    for label in range(num_colors):
        rgb = [0, 0, 0]
        code = label
        for bit in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((code >> channel) & 1) << bit
            code >>= 3
        palette.append(tuple(rgb))
    return palette


def _resize_nearest(array: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of the last two axes (any dtype)."""
    height, width = array.shape[-2:]
    rows = np.minimum(
        (np.arange(size[0]) * height / size[0]).astype(np.int64), height - 1)
    cols = np.minimum(
        (np.arange(size[1]) * width / size[1]).astype(np.int64), width - 1)
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
    sample's ``tasks`` metainfo when present). Tiles are drawn by task kind:

    * class maps: palette colours blended over the image with ``alpha``
      (``dataset_meta['palette']`` for ``semseg``, else
      :func:`generated_palette`; class names from
      ``dataset_meta['task_classes']``), ignore pixels black;
    * binary maps: grayscale ``round(p * 255)``, ignore pixels magenta;
    * normals: RGB ``round((n + 1) / 2 * 255)``, invalid pixels black;
    * depth: ``cv2.COLORMAP_TURBO`` of ``depth / max valid GT depth`` (the
      prediction's maximum if there is no GT), invalid pixels black.

    Class names are written on class-map tiles when ``with_labels`` is True
    and the image's shorter side is at least :attr:`min_label_size` pixels
    (below that they would only hide the map).
    Each tile gets a title (``'<task> GT'`` / ``'<task> pred'``) in its
    top-left corner; a missing map gives a black tile titled ``n/a``.
    Samples without task fields (a plain :class:`SegDataSample`) are drawn
    by :class:`SegLocalVisualizer`.

    Args:
        name: Name of the instance.
        image: Initial RGB image.
        vis_backends: Visual backend configs.
        save_dir: Save directory of the storage backends.
        classes: ``semseg`` class names (usually set from the dataset's
            metainfo through :attr:`dataset_meta`).
        palette: ``semseg`` palette.
        dataset_name: mmseg dataset name giving default classes/palette.
        alpha: Opacity of the class-map colours over the image.
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
                 **kwargs) -> None:
        super().__init__(name, image, vis_backends, save_dir, classes,
                         palette, dataset_name, alpha, **kwargs)
        self._tile_drawers: Dict[str, Callable[..., TilePair]] = {
            CLASS: self._draw_class_tiles,
            BINARY: self._draw_binary_tiles,
            NORMALS: self._draw_normals_tiles,
            DEPTH: self._draw_depth_tiles,
        }

    def _get_center_loc(self, mask: np.ndarray) -> np.ndarray:
        """Label position of a class: the middle pixel of its widest row.

        Same result as :meth:`SegLocalVisualizer._get_center_loc` (first
        row with the most pixels), without sorting every pixel in Python.

        Args:
            mask: ``H x W`` binary mask of the class.

        Returns:
            np.ndarray: ``[x, y]``.
        """
        mask = np.asarray(mask) == 1
        y = int(mask.sum(axis=1).argmax())
        xs = np.flatnonzero(mask[y])
        return np.array([xs[len(xs) // 2], y])

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
                  size: Tuple[int, int]) -> Optional[Tuple[np.ndarray,
                                                           np.ndarray]]:
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
        return (_resize_nearest(data.numpy(), size),
                _resize_nearest(valid, size))

    # ------------------------------------------------------------------
    # per-kind tile drawers: (spec, image, gt, pred) -> (gt_tile, pred_tile)
    # ------------------------------------------------------------------
    def _class_meta(self, task: str,
                    maps: Sequence[Tuple[np.ndarray, np.ndarray]]
                    ) -> Tuple[List[str], List[Tuple[int, int, int]]]:
        """Class names and palette of a class-map task."""
        meta = self.dataset_meta or {}
        classes = list((meta.get('task_classes') or {}).get(task, []))
        palette = list(meta.get('palette') or []) \
            if task == METAINFO_TASK else []
        valid_ids = [values[0][valid] for values, valid in maps]
        max_id = max([int(ids.max()) for ids in valid_ids if ids.size] +
                     [-1])
        num = max(len(classes), max_id + 1, 1)
        if len(palette) < num:
            palette = palette + generated_palette(num)[len(palette):]
        classes = classes + [str(i) for i in range(len(classes), num)]
        return classes, [tuple(int(c) for c in color) for color in palette]

    @staticmethod
    def _tile_pair(gt, pred, colorize: Callable[[np.ndarray, np.ndarray],
                                                np.ndarray],
                   invalid_color: Tuple[int, int, int]) -> TilePair:
        """Colour the GT and prediction maps and paint their invalid pixels.

        Args:
            gt: ``(values, valid)`` of the ground truth, or None.
            pred: ``(values, valid)`` of the prediction, or None.
            colorize: ``(values, valid) -> H x W x 3`` new ``uint8`` array.
            invalid_color: RGB colour of invalid pixels.

        Returns:
            tuple: The (GT, prediction) tiles; None where a map is missing.
        """

        def draw(item):
            if item is None:
                return None
            values, valid = item
            tile = colorize(values, valid)
            tile[~valid] = invalid_color
            return tile

        return draw(gt), draw(pred)

    def _draw_class_tiles(self, spec: TaskSpec, image: np.ndarray, gt,
                          pred, with_labels: bool = True) -> TilePair:
        """Palette colours blended over the image; ignore pixels black."""
        classes, palette = self._class_meta(
            spec.name, [m for m in (gt, pred) if m is not None])

        def colorize(values, valid):
            base = image.copy()
            base[~valid] = INVALID_COLOR
            ids = np.where(valid, values[0], len(classes)).astype(np.int64)
            return self._draw_sem_seg(base, PixelData(data=ids[None]),
                                      classes, palette, with_labels).copy()

        return self._tile_pair(gt, pred, colorize, INVALID_COLOR)

    @classmethod
    def _draw_binary_tiles(cls, spec: TaskSpec, image: np.ndarray, gt, pred,
                           **kwargs) -> TilePair:
        """Grayscale probabilities; ignore pixels magenta."""

        def colorize(values, valid):
            gray = np.round(np.clip(values[0], 0, 1) * 255).astype(np.uint8)
            return np.repeat(gray[..., None], 3, axis=2)

        return cls._tile_pair(gt, pred, colorize, INVALID_GRAY_COLOR)

    @classmethod
    def _draw_normals_tiles(cls, spec: TaskSpec, image: np.ndarray, gt, pred,
                            **kwargs) -> TilePair:
        """RGB ``(n + 1) / 2 * 255``; invalid pixels black."""
        return cls._tile_pair(
            gt, pred,
            lambda values, valid: encode_normals(values.transpose(1, 2, 0)),
            INVALID_COLOR)

    @classmethod
    def _draw_depth_tiles(cls, spec: TaskSpec, image: np.ndarray, gt, pred,
                          **kwargs) -> TilePair:
        """Turbo colour map of depth / max valid GT depth; invalid black."""
        ref = gt if gt is not None else pred
        valid_ref = ref[0][0][ref[1]]
        max_depth = float(valid_ref.max()) if valid_ref.size else 0.0
        max_depth = max_depth if max_depth > 0 else 1.0

        def colorize(values, valid):
            scaled = np.clip(values[0] / max_depth, 0, 1) * 255
            bgr = cv2.applyColorMap(
                np.round(scaled).astype(np.uint8), cv2.COLORMAP_TURBO)
            return np.ascontiguousarray(bgr[..., ::-1])

        return cls._tile_pair(gt, pred, colorize, INVALID_COLOR)

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
        cv2.putText(tile, text, (2, text_h + 2), font, scale,
                    (255, 255, 255), thickness, cv2.LINE_AA)
        return tile

    def draw_multitask_mosaic(self,
                              image: np.ndarray,
                              data_sample: SegDataSample,
                              draw_gt: bool = True,
                              draw_pred: bool = True,
                              with_labels: bool = True) -> np.ndarray:
        """Draw the mosaic of :class:`MultiTaskLocalVisualizer`.

        Args:
            image: RGB ``H x W x 3`` uint8 image.
            data_sample: Sample with ``gt_<task>``/``pred_<task>`` fields.
            draw_gt: Whether to draw the ground-truth row.
            draw_pred: Whether to draw the prediction row.
            with_labels: Whether to write class names on class-map tiles
                (only if the image's shorter side is at least
                :attr:`min_label_size`).

        Returns:
            np.ndarray: RGB ``(R * H) x ((1 + T) * W) x 3`` uint8 mosaic,
            ``R`` rows (GT, prediction), ``T`` tasks.

        Raises:
            ValueError: If the image is not ``H x W x 3``, if a map has the
                wrong shape, or if nothing is left to draw.
        """
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must be an H x W x 3 RGB array, got '
                             f'shape {image.shape}')
        image = np.ascontiguousarray(image, dtype=np.uint8)
        size = image.shape[:2]
        tasks = self._sample_tasks(data_sample)
        # (TaskSpec attribute naming the field, title) of each mosaic row.
        rows = [(key, label) for key, label, on in
                (('gt_key', 'GT', draw_gt), ('pred_key', 'pred', draw_pred))
                if on and any(getattr(TASKS[t], key) in data_sample
                              for t in tasks)]
        if not rows:
            raise ValueError(
                f'nothing to draw: draw_gt={draw_gt}, draw_pred={draw_pred}, '
                f'sample fields {sorted(data_sample.keys())}')
        with_labels = with_labels and min(size) >= self.min_label_size
        columns = []
        for task in tasks:
            spec = TASKS[task]
            maps = {
                key: self._read_map(data_sample, getattr(spec, key), spec,
                                    size)
                for key in ('gt_key', 'pred_key')
            }
            tiles = dict(
                zip(('gt_key', 'pred_key'),
                    self._tile_drawers[spec.kind](
                        spec, image, maps['gt_key'], maps['pred_key'],
                        with_labels=with_labels)))
            columns.append([
                self._put_title(tiles[key], f'{task} {label}')
                if tiles[key] is not None else self._put_title(
                    np.zeros_like(image), f'{task} {label}: n/a')
                for key, label in rows
            ])
        image_tile = self._put_title(image.copy(), 'image')
        mosaic_rows = [
            np.concatenate([image_tile] + [col[r] for col in columns], axis=1)
            for r in range(len(rows))
        ]
        return np.concatenate(mosaic_rows, axis=0)

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
                                          draw_pred, show, wait_time,
                                          out_file, step, with_labels)
        drawn_img = self.draw_multitask_mosaic(image, data_sample, draw_gt,
                                               draw_pred, bool(with_labels))
        self.set_image(drawn_img)
        if show:
            self.show(drawn_img, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn_img), out_file)
        else:
            self.add_image(name, drawn_img, step)
