"""The seeded *source* set the demo backbone is pretrained on.

It is deliberately not the demo target (``PASCAL_MT`` / ``NYUD_MT``):

* other scenes: outdoor yards, rooms and halls, with any object kind in any
  scene (the union of the PASCAL and NYUD catalogues of :mod:`.scenes`);
* other cameras (focal length, horizon, height) and lighting (a random
  light direction from above and in front, ambient level, colour cast and
  noise per image; the target has one fixed light);
* another task set: scene parsing into the coarse classes of
  :data:`SOURCE_CLASSES` only (no human parts, saliency, normals or depth),
  whose label space is not the target's (dogs and horses are ``animal``,
  sofas and chairs ``seat``; walls, floors and sky are labelled).

The tree is mmseg's plain segmentation layout, read by
:class:`mmseg.datasets.BaseSegDataset` (``configs/pretrain_demo/``)::

    SOURCE/img_dir/{train,val}/<id>.jpg
    SOURCE/ann_dir/{train,val}/<id>.png   # 0..len(SOURCE_CLASSES)-1

Image ``idx`` depends only on ``(seed, idx)`` (generator stream 3; the
demo PASCAL and NYUD sets use 1 and 2).
"""
import os.path as osp
from typing import Dict, Tuple

import numpy as np

from mmvmt.fileio import write_image
from .generator import DEMO_SIZE, check_set_args
from .renderer import Canvas
from .scenes import (NYUD_OBJECTS, PASCAL_OBJECTS, ObjectSpec, paint_object,
                     paint_person, place)
from .writers import write_jpg

__all__ = [
    'SOURCE_CLASSES', 'SOURCE_KINDS', 'STUFF_COLOURS', 'SOURCE_NUM_TRAIN',
    'SOURCE_NUM_VAL', 'render_source', 'generate_source_set'
]

#: Scene-parsing classes of the source set, in label order.
SOURCE_CLASSES: Tuple[str, ...] = ('sky', 'ground', 'wall', 'floor', 'ceiling',
                                   'building', 'tree', 'person', 'animal',
                                   'vehicle', 'seat', 'table', 'bed',
                                   'cabinet', 'screen', 'lamp', 'bottle',
                                   'plant', 'box', 'clutter')

#: Object kind (catalogue name) -> source class.
SOURCE_KINDS: Dict[str, str] = dict(
    car='vehicle',
    sofa='seat',
    chair='seat',
    bed='bed',
    table='table',
    cabinet='cabinet',
    tvmonitor='screen',
    lamp='lamp',
    bottle='bottle',
    dog='animal',
    horse='animal',
    pottedplant='plant',
    box='box',
    clutter='clutter',
    tree='tree',
    building='building',
    person='person')

SOURCE_NUM_TRAIN = 640
SOURCE_NUM_VAL = 64

#: Background class -> (low, high) RGB range of its random colour: the
#: stuff classes look like themselves (blue sky, earthy ground, pale walls
#: and ceilings, darker floors), while objects take any colour and are told
#: apart by shape alone, as in the demo target.
STUFF_COLOURS: Dict[str, Tuple[Tuple[int, int, int],
                               Tuple[int, int, int]]] = dict(
                                   sky=((80, 140, 190), (170, 210, 255)),
                                   ground=((50, 80, 30), (150, 170, 110)),
                                   wall=((140, 130, 120), (245, 240, 235)),
                                   floor=((60, 40, 20), (160, 120, 90)),
                                   ceiling=((190, 190, 190), (255, 255, 250)))

#: Object kinds that only make sense with open sky behind them.
_OUTDOOR_ONLY = ('building', 'tree')


def _catalogue() -> Dict[str, ObjectSpec]:
    objects = dict(NYUD_OBJECTS)
    objects.update(PASCAL_OBJECTS)
    return {k: objects[k] for k in SOURCE_KINDS}


def _stuff_colour(rng: np.random.Generator, name: str) -> np.ndarray:
    low, high = STUFF_COLOURS[name]
    return rng.uniform(low, high)


def _background(canvas: Canvas, rng: np.random.Generator, scene: int,
                label: Dict[str, int]) -> float:
    """Paint scene type ``scene`` (0 yard, 1 room, 2 hall); returns depth."""
    if scene == 0:
        o = canvas.add_object(src=label['sky'])
        canvas.paint(
            o,
            *canvas.fronto_plane(1e6),
            _stuff_colour(rng, 'sky'),
            emissive=True)
        o = canvas.add_object(src=label['ground'])
        canvas.paint(o, *canvas.plane_rows(0., up=True),
                     _stuff_colour(rng, 'ground'))
        return 16.
    far = rng.uniform(4., 9.)
    o = canvas.add_object(src=label['wall'])
    wall = _stuff_colour(rng, 'wall')
    canvas.paint(o, *canvas.fronto_plane(far), wall)
    if scene == 1:
        for side in (-1., 1.):
            x = side * rng.uniform(1.5, 3.)
            canvas.paint(o, *canvas.vertical_plane(x),
                         wall * rng.uniform(0.8, 1.0))
        o = canvas.add_object(src=label['ceiling'])
        canvas.paint(o, *canvas.plane_rows(2.8, up=False),
                     _stuff_colour(rng, 'ceiling'))
    o = canvas.add_object(src=label['floor'])
    canvas.paint(o, *canvas.plane_rows(0., up=True),
                 _stuff_colour(rng, 'floor'))
    return far


def _lighting(rng: np.random.Generator) -> dict:
    """Random light of one image (keyword arguments of Canvas.image).

    The light comes from above and in front (azimuth within +-50 deg of
    the optical axis, elevation 30-70 deg), so shading keeps telling which
    way a surface faces, as under the demo target's fixed light.
    """
    azimuth = rng.uniform(-0.9, 0.9)
    elevation = rng.uniform(0.5, 1.2)
    light = np.array([
        np.cos(elevation) * np.sin(azimuth),
        np.sin(elevation),
        np.cos(elevation) * np.cos(azimuth),
    ])
    ambient = rng.uniform(0.3, 0.55)
    return dict(
        light=light,
        ambient=ambient,
        diffuse=rng.uniform(0.8, 1.0) * (1 - ambient),
        tint=rng.uniform(0.88, 1.12, 3),
        noise=rng.uniform(3., 8.))


def render_source(idx: int, size: Tuple[int, int],
                  seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """Render source image ``idx``.

    Returns:
        tuple: The RGB ``uint8`` image and its ``uint8`` label map
        (indices into :data:`SOURCE_CLASSES`, 255 where nothing was
        painted).
    """
    rng = np.random.default_rng([seed, 3, idx])
    label = {name: i for i, name in enumerate(SOURCE_CLASSES)}
    h, w = size
    canvas = Canvas(
        size,
        focal=rng.uniform(0.7, 1.4) * w,
        horizon=rng.uniform(0.25, 0.6) * h,
        cam_h=rng.uniform(0.9, 2.2))
    scene = int(idx % 3)
    far = _background(canvas, rng, scene, label)
    catalogue = _catalogue()
    kinds = [k for k in catalogue if scene == 0 or k not in _OUTDOOR_ONLY]
    near, deepest = 1.5, min(far - 0.5, 7.)  # near objects: large ones
    for kind in rng.choice(kinds, size=int(rng.integers(2, 7))):
        spec = catalogue[kind]
        z = rng.uniform(near, max(near + 0.5, deepest))
        x = place(canvas, rng, z)
        o = canvas.add_object(src=label[SOURCE_KINDS[kind]])
        if spec.hat_prob is not None:
            paint_person(canvas, rng, o, x, z, rng.uniform(1.4, 1.95),
                         rng.random() < spec.hat_prob)
            continue
        if spec.behind is not None:
            z = rng.uniform(far, far + spec.behind)
            x = place(canvas, rng, z)
        paint_object(canvas, o, spec, x, z, rng.uniform(20, 240, 3))
    owner = canvas.owner()
    lut = np.array([m['src'] for m in canvas.objects] + [255], np.uint8)
    return canvas.image(rng, **_lighting(rng)), lut[owner]


def generate_source_set(root: str,
                        num_train: int = SOURCE_NUM_TRAIN,
                        num_val: int = SOURCE_NUM_VAL,
                        size: Tuple[int, int] = DEMO_SIZE,
                        seed: int = 0) -> Dict[str, int]:
    """Write the source set under ``root`` (mmseg segmentation layout).

    Args:
        root: Output folder (e.g. ``data/demo/SOURCE``).
        num_train: Number of train images.
        num_val: Number of val images.
        size: ``(H, W)`` of the images.
        seed: Random seed.

    Returns:
        dict: Split name -> number of images written.

    Raises:
        ValueError: On non-positive counts or a size below 32x32.
    """
    size = check_set_args(num_train, num_val, size)
    counts = dict(train=num_train, val=num_val)
    idx = 0
    for split, count in counts.items():
        for _ in range(count):
            img, labels = render_source(idx, size, seed)
            name = f'{idx:05d}'
            write_jpg(osp.join(root, 'img_dir', split, name + '.jpg'), img)
            write_image(
                osp.join(root, 'ann_dir', split, name + '.png'), labels)
            idx += 1
    return counts
