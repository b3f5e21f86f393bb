"""Transforms of the literature protocol (fixed 448x448, ``ScaleNRotate``).

The published multi-task PEFT numbers on PASCAL-Context and NYUD-v2
(MTLoRA and others, following the ASTMT / MTI-Net data code) train and
evaluate at a fixed input size. Their train pipeline is: random horizontal
flip, one random rotation + scale warp about the image centre, a fixed
resize of every map (no aspect preservation), then "ignore regions". The
test pipeline is the fixed resize and the ignore regions, applied to the
image AND the ground truth, so the metric runs on the resized maps.

What the reference code does, and how it maps onto mmvmt's conventions
(:mod:`mmvmt.tasks`), where the issue left it open:

* Draws: a continuous range draws ``lo + (hi - lo) * u`` with one uniform
  ``u`` for the angle and another for the scale (numpy's global RNG); a
  list draws one element uniformly. PASCAL: angle in [-20, 20) degrees,
  scale in [0.75, 1.25); NYUD: angle 0, scale from {1.0, 1.2, 1.5}. The
  flip comes before the warp.
* The warp is OpenCV's ``getRotationMatrix2D((w / 2, h / 2), angle,
  scale)`` (positive angle: counter-clockwise on screen; the centre is the
  reference's ``(w / 2, h / 2)``, half a pixel off the exact centre) with
  a constant border of 0: "outside pixels become 0". In the reference a 0
  is the ignore value for normals (length 0) and depth, but background
  for class maps, saliency and edges. ``outside='zero'`` (the default)
  does exactly that; ``outside='ignore'`` pads every map with its task's
  ignore value instead (mmvmt's convention, not the reference).
* Normals' in-plane components are rotated by the warp angle, as the
  reference's ``arctan2`` formula does: ``(x, y) -> (x cos a + y sin a,
  -x sin a + y cos a)``. This is the rotation the warp applies to pixel
  offsets in image coordinates (x right, y down), so it is correct for
  normals whose y axis points down the image (``normals_y_down=True``,
  the reference's formula); ``False`` rotates a y-up field (e.g. the demo
  data's camera frame) correctly instead.
* Depth is divided by the warp scale (nearest interpolation); the fixed
  resize changes no depth value (an anisotropic stretch has no single
  scale, and the reference leaves depth unchanged).
* The reference's fixed resize re-normalises the normals after the
  bicubic resize, ``n / (|n| + eps)`` (``FixedResize`` in its
  ``custom_transforms.py``); ``normalize_normals`` does the same (zero
  vectors stay zero).
* Ignore regions: a normal of length 0 and a depth of 0 become ignored.
  In mmvmt both already ARE the invalid values (the zero vector, 0), so
  nothing changes. A human-parts map in which no valid pixel holds a part
  (the reference: "all 0") becomes all ignore (255); with mmvmt's
  "no person: all 255" maps this also covers a warped all-255 map with a
  0 border.
* Interpolation per task kind: class, binary and depth maps nearest,
  normals and the image bicubic. OpenCV saturates the ``uint8`` image;
  the reference warps a float image and casts it to ``uint8`` at the end
  without clipping, so its rare out-of-range overshoots differ.
"""
from typing import Dict, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.image.geometric import cv2_interp_codes
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import Resize
from mmseg.registry import TRANSFORMS

from ...tasks import BINARY, CLASS, DEPTH, NORMALS, TaskSpec, get_task
from .formatting import gt_to_chw
from .transforms import task_maps

__all__ = [
    'LITERATURE_INTERPOLATION', 'MultiTaskScaleRotate', 'MultiTaskFixedResize',
    'MultiTaskAddIgnoreRegions', 'SetOriShapeToImgShape'
]

#: Interpolation of each task kind in the literature pipeline.
LITERATURE_INTERPOLATION: Dict[str, str] = {
    CLASS: 'nearest',
    BINARY: 'nearest',
    NORMALS: 'bicubic',
    DEPTH: 'nearest',
}

_OUTSIDE = ('zero', 'ignore')


def _kind_interpolation(overrides: Optional[dict],
                        owner: str) -> Dict[str, str]:
    """Default per-kind interpolation updated by ``overrides`` (checked)."""
    interpolation = dict(LITERATURE_INTERPOLATION)
    for kind, name in (overrides or {}).items():
        if kind not in interpolation:
            raise ValueError(f'{owner}: interpolation key {kind!r} is not a '
                             f'task kind; kinds: {sorted(interpolation)}')
        _check_interpolation(name, f'{owner}: interpolation[{kind!r}]')
        interpolation[kind] = name
    return interpolation


def _check_interpolation(name: str, what: str) -> None:
    if name not in cv2_interp_codes:
        raise ValueError(f'{what} must be one of {sorted(cv2_interp_codes)}'
                         f', got {name!r}')


def _valid_hw(spec: TaskSpec, gt: np.ndarray) -> np.ndarray:
    """``HxW`` valid mask of an ``HxW`` / ``HxWxC`` map (shape checked)."""
    return spec.valid_mask(gt_to_chw(spec, gt))[0]


def _check_range(value: Optional[Sequence[float]], name: str,
                 owner: str) -> Optional[Tuple[float, float]]:
    if value is None:
        return None
    value = tuple(float(v) for v in value)
    if len(value) != 2 or value[0] > value[1]:
        raise ValueError(f'{owner}: {name} must be (low, high) with low <= '
                         f'high, got {value}')
    return value


def _check_choices(value: Optional[Sequence[float]], name: str,
                   owner: str) -> Optional[Tuple[float, ...]]:
    if value is None:
        return None
    value = tuple(float(v) for v in value)
    if not value:
        raise ValueError(f'{owner}: {name} must not be empty')
    return value


@TRANSFORMS.register_module()
class MultiTaskScaleRotate(BaseTransform):
    """One random rotation + scale warp of the image and every task map.

    The reference's ``ScaleNRotate`` (see the module docstring for each
    convention). Every map in ``results['seg_fields']`` is warped with the
    image by the same matrix, with its task kind's interpolation; task maps
    also get their value changes: normals are rotated in-plane, depth is
    divided by the scale. Seg fields that are no task map are warped
    nearest with the border of ``outside`` (255 for ``'ignore'``).

    Angle and scale each come from a ``*_range`` (uniform) or a
    ``*_choices`` list (uniform choice), not both; neither means angle 0
    or scale 1.

    Args:
        rotation_range: ``(low, high)`` angle in degrees, positive is
            counter-clockwise on screen.
        rotation_choices: Angles to choose from.
        scale_range: ``(low, high)`` scale (> 0; > 1 zooms in).
        scale_choices: Scales to choose from.
        outside: ``'zero'``: pixels outside the warped image become 0 in
            every map (the reference); ``'ignore'``: they become each
            task's ignore value.
        normals_y_down: Whether the normals' y component points down the
            image (the reference's rotation formula); False for y-up.
        img_interpolation: Interpolation of the image.
        interpolation: Per task kind overrides of
            :data:`LITERATURE_INTERPOLATION`.

    Added keys: ``warp_angle`` and ``warp_scale`` (the draw).

    Raises:
        ValueError: On both a range and choices, a bad range, a
            non-positive scale, an unknown ``outside``, kind or
            interpolation.
    """

    def __init__(self,
                 rotation_range: Optional[Sequence[float]] = None,
                 rotation_choices: Optional[Sequence[float]] = None,
                 scale_range: Optional[Sequence[float]] = None,
                 scale_choices: Optional[Sequence[float]] = None,
                 outside: str = 'zero',
                 normals_y_down: bool = True,
                 img_interpolation: str = 'bicubic',
                 interpolation: Optional[Dict[str, str]] = None) -> None:
        owner = self.__class__.__name__
        pairs = dict(
            rotation=(rotation_range, rotation_choices),
            scale=(scale_range, scale_choices))
        for name, (rng, choices) in pairs.items():
            if rng is not None and choices is not None:
                raise ValueError(f'{owner}: give {name}_range or '
                                 f'{name}_choices, not both')
        self.rotation_range = _check_range(rotation_range, 'rotation_range',
                                           owner)
        self.rotation_choices = _check_choices(rotation_choices,
                                               'rotation_choices', owner)
        self.scale_range = _check_range(scale_range, 'scale_range', owner)
        self.scale_choices = _check_choices(scale_choices, 'scale_choices',
                                            owner)
        scales = (self.scale_range or ()) + (self.scale_choices or ())
        if any(s <= 0 for s in scales):
            raise ValueError(f'{owner}: scales must be positive, got '
                             f'{scales}')
        if outside not in _OUTSIDE:
            raise ValueError(f'{owner}: outside must be one of {_OUTSIDE}, '
                             f'got {outside!r}')
        self.outside = outside
        self.normals_y_down = bool(normals_y_down)
        _check_interpolation(img_interpolation, f'{owner}: img_interpolation')
        self.img_interpolation = img_interpolation
        self.interpolation = _kind_interpolation(interpolation, owner)

    @staticmethod
    def _draw(rng: Optional[Tuple[float, float]],
              choices: Optional[Tuple[float, ...]], default: float) -> float:
        if rng is not None:
            return rng[0] + (rng[1] - rng[0]) * np.random.random()
        if choices is not None:
            return choices[np.random.randint(0, len(choices))]
        return default

    @cache_randomness
    def _random_warp(self) -> Tuple[float, float]:
        """Draw ``(angle, scale)``; the angle first, as the reference."""
        angle = self._draw(self.rotation_range, self.rotation_choices, 0.)
        scale = self._draw(self.scale_range, self.scale_choices, 1.)
        return float(angle), float(scale)

    def _border(self, spec: Optional[TaskSpec]) -> float:
        if self.outside == 'zero':
            return 0.
        return 255. if spec is None else float(spec.ignore_value)

    @staticmethod
    def _warp(arr: np.ndarray, angle: float, scale: float, border: float,
              interpolation: str) -> np.ndarray:
        h, w = arr.shape[:2]
        # mmcv's angle is clockwise; cv2's (and the draw's) is not. A
        # 4-tuple border: a scalar would fill only channel 0 of HxWx3.
        return mmcv.imrotate(
            arr,
            -angle,
            center=(w / 2., h / 2.),
            scale=scale,
            border_value=(border, ) * 4,
            interpolation=interpolation)

    def _rotate_normals(self, spec: TaskSpec, gt: np.ndarray,
                        angle: float) -> np.ndarray:
        """Rotate the in-plane (x, y) components of valid normals."""
        rad = np.deg2rad(angle)
        cos, sin = np.cos(rad), np.sin(rad)
        if not self.normals_y_down:
            sin = -sin
        gt = gt.copy()
        valid = _valid_hw(spec, gt)
        x, y = gt[valid, 0], gt[valid, 1]
        gt[valid, 0] = cos * x + sin * y
        gt[valid, 1] = -sin * x + cos * y
        return gt

    def transform(self, results: dict) -> dict:
        """Warp the image and every seg field by one random draw.

        Args:
            results: Pipeline results.

        Returns:
            dict: The warped results with ``warp_angle``/``warp_scale``.

        Raises:
            ValueError: If a task map has the wrong shape.
            TypeError: If a map to be divided by the scale is not float.
        """
        angle, scale = self._random_warp()
        results['img'] = self._warp(results['img'], angle, scale, 0.,
                                    self.img_interpolation)
        tasks = dict(task_maps(results))
        for key in results.get('seg_fields', []):
            if results.get(key) is None:
                continue
            spec = tasks.get(key)
            gt = results[key]
            interp = 'nearest' if spec is None else self.interpolation[
                spec.kind]
            if spec is not None and spec.kind == NORMALS:
                gt = self._rotate_normals(spec, gt, angle)
            gt = self._warp(gt, angle, scale, self._border(spec), interp)
            if spec is not None and spec.divide_by_scale:
                if not np.issubdtype(gt.dtype, np.floating):
                    raise TypeError(f'{key} must be a float map to be '
                                    f'divided by the scale, got {gt.dtype}')
                valid = _valid_hw(spec, gt)
                gt[valid] = gt[valid] / np.float32(scale)
            results[key] = gt
        results['warp_angle'], results['warp_scale'] = angle, scale
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rotation_range='
                f'{self.rotation_range}, rotation_choices='
                f'{self.rotation_choices}, scale_range={self.scale_range}, '
                f'scale_choices={self.scale_choices}, outside='
                f'{self.outside!r}, normals_y_down={self.normals_y_down}, '
                f'img_interpolation={self.img_interpolation!r}, '
                f'interpolation={self.interpolation})')


@TRANSFORMS.register_module()
class MultiTaskFixedResize(Resize):
    """Resize the image and every map to one fixed size (no aspect kept).

    mmseg's ``Resize`` with ``keep_ratio=False`` for the image
    (``interpolation``, default bicubic) and the task kind's interpolation
    for each task map (:data:`LITERATURE_INTERPOLATION`; other seg fields
    nearest). Values are unchanged (depth too, unlike
    :class:`~mmvmt.datasets.transforms.MultiTaskResize`), except that
    ``normalize_normals`` re-normalises valid normals as the reference
    does, ``n / (|n| + eps)``.

    Args:
        scale: Target ``(w, h)``, as mmcv's ``Resize``.
        interpolation: Interpolation of the image. Defaults to 'bicubic'.
        kind_interpolation: Per task kind overrides.
        normalize_normals: Re-normalise normals after resizing.
        **kwargs: Other arguments of :class:`mmcv.transforms.Resize`
            (``keep_ratio`` must stay False, ``backend`` 'cv2').

    Raises:
        ValueError: On ``keep_ratio=True``, a non-cv2 backend or an unknown
            kind or interpolation.
    """

    def __init__(self,
                 scale: Tuple[int, int],
                 interpolation: str = 'bicubic',
                 kind_interpolation: Optional[Dict[str, str]] = None,
                 normalize_normals: bool = False,
                 **kwargs) -> None:
        owner = self.__class__.__name__
        if kwargs.get('keep_ratio', False):
            raise ValueError(f'{owner} stretches to a fixed size; '
                             'keep_ratio must be False (use '
                             'MultiTaskResize to keep the aspect ratio)')
        kwargs.pop('keep_ratio', None)
        _check_interpolation(interpolation, f'{owner}: interpolation')
        super().__init__(
            scale=scale,
            keep_ratio=False,
            interpolation=interpolation,
            **kwargs)
        if self.backend != 'cv2':
            raise ValueError(f"{owner} supports backend='cv2' only, got "
                             f'{self.backend!r}')
        self.kind_interpolation = _kind_interpolation(kind_interpolation,
                                                      owner)
        self.normalize_normals = bool(normalize_normals)

    def _resize_seg(self, results: dict) -> None:
        """Resize every seg field to ``results['scale']`` by its kind."""
        tasks = dict(task_maps(results))
        for key in results.get('seg_fields', []):
            if results.get(key) is None:
                continue
            spec = tasks.get(key)
            interp = 'nearest' if spec is None else self.kind_interpolation[
                spec.kind]
            gt = mmcv.imresize(
                results[key],
                results['scale'],
                interpolation=interp,
                backend=self.backend)
            if (spec is not None and spec.kind == NORMALS
                    and self.normalize_normals):
                norm = np.sqrt((gt.astype(np.float64)**2).sum(-1))
                gt = (gt / (norm + np.finfo(np.float64).eps)[..., None])
                gt = gt.astype(np.float32)
            results[key] = gt

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'interpolation={self.interpolation!r}, kind_interpolation='
                f'{self.kind_interpolation}, normalize_normals='
                f'{self.normalize_normals})')


@TRANSFORMS.register_module()
class MultiTaskAddIgnoreRegions(BaseTransform):
    """The reference's ignore regions, in mmvmt's encoding.

    A class map of a task in ``empty_as_ignore`` in which no valid pixel
    holds a class other than ``background`` becomes all ignore (the
    reference: a human-parts map that is all 0). The reference's other
    rules (a normal of length 0, a depth of 0 -> ignore) hold in mmvmt
    already: those values are the tasks' invalid values.

    Args:
        empty_as_ignore: Class tasks whose all-background maps are
            ignored. Defaults to ``('human_parts', )``.
        background: The background class id. Defaults to 0.

    Raises:
        KeyError: On an unknown task.
        ValueError: On a task that is not a class-map task.
    """

    def __init__(self,
                 empty_as_ignore: Sequence[str] = ('human_parts', ),
                 background: int = 0) -> None:
        if isinstance(empty_as_ignore, str):
            empty_as_ignore = (empty_as_ignore, )
        self.empty_as_ignore = tuple(empty_as_ignore)
        for task in self.empty_as_ignore:
            if get_task(task).kind != CLASS:
                raise ValueError(
                    f'{self.__class__.__name__}: {task!r} is no class-map '
                    'task; empty_as_ignore takes class tasks only')
        self.background = int(background)

    def transform(self, results: dict) -> dict:
        """Turn all-background maps of ``empty_as_ignore`` into ignore.

        Args:
            results: Pipeline results.

        Returns:
            dict: The results.
        """
        for key, spec in task_maps(results):
            if spec.name not in self.empty_as_ignore:
                continue
            gt = results[key]
            valid = _valid_hw(spec, gt)
            if not (gt[valid] != self.background).any():
                results[key] = np.full_like(gt, spec.ignore_value)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(empty_as_ignore='
                f'{self.empty_as_ignore}, background={self.background})')


@TRANSFORMS.register_module()
class SetOriShapeToImgShape(BaseTransform):
    """Make the current image size the sample's original size.

    The segmentor restores predictions to ``ori_shape`` and the metric
    compares them with the ground truth. After a fixed resize of the image
    and the ground truth this makes the metric (and written predictions)
    use the resized maps: the literature protocol. Place it after
    ``LoadMultiTaskAnnotations`` (which checks map sizes against
    ``ori_shape``) and the resize.

    Modified keys: ``ori_shape`` (set to ``img_shape``).
    """

    def transform(self, results: dict) -> dict:
        """Set ``results['ori_shape']`` to ``results['img_shape']``.

        Args:
            results: Pipeline results.

        Returns:
            dict: The results.

        Raises:
            KeyError: If there is no ``img_shape``.
        """
        if 'img_shape' not in results:
            raise KeyError('SetOriShapeToImgShape needs results['
                           "'img_shape'] (run it after loading and resizing)")
        results['ori_shape'] = tuple(results['img_shape'][:2])
        return results
