"""Scene catalogues of the demo sets (data tables) and how to paint them.

A scene is a camera (:class:`View`), a background painted by a small
function, and objects drawn at random from a catalogue. Catalogue entries
(:class:`ObjectSpec`) list their primitives (:class:`Box`,
:class:`Ellipsoid`) relative to the object's foot point ``(x, 0, z)``;
people are built from :data:`PERSON_PARTS`. Object kinds are named after
PASCAL-Context (and, where they exist, VOC / NYUD) classes, which give
their labels.

Every random draw happens in a fixed order per image, so an image only
depends on ``(seed, dataset, index)``.
"""
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from mmvmt.datasets.facts import context_name_to_id, nyud_classes, voc_classes
from .renderer import Canvas

__all__ = [
    'PersonPart', 'PERSON_PARTS', 'PERSON_MATERIALS', 'HAIR_V',
    'MAT_PART_ORDER', 'Box', 'Ellipsoid', 'ObjectSpec', 'View', 'Scene',
    'PASCAL_OBJECTS', 'NYUD_OBJECTS', 'PASCAL_SCENES', 'PASCAL_VIEW',
    'NYUD_VIEW', 'NYUD_WALL_ITEMS', 'place', 'paint_person', 'paint_object',
    'render_pascal', 'render_nyud'
]

#: A primitive's colour: a factor on the object's random colour, or RGB.
Colour = Union[float, Tuple[int, int, int]]
#: ``(object index, part name -> silhouette)`` of each painted person.
Persons = List[Tuple[int, Dict[str, np.ndarray]]]


class PersonPart(NamedTuple):
    """One body part of a person.

    Args:
        name: PASCAL-Part part name.
        shape: ``'box'``, ``'cyl'`` (shaded box) or ``'ellipsoid'``.
        x0: Left edge, in person heights from the body axis (negative =
            image left).
        x1: Right edge, same unit.
        v0: Top, as a fraction of the height below the top of the head.
        v1: Bottom, same unit.
        dz: Depth offset in metres (negative = nearer).
        material: Key of :data:`PERSON_MATERIALS`.
    """

    name: str
    shape: str
    x0: float
    x1: float
    v0: float
    v1: float
    dz: float
    material: str


#: Body parts, in the order they are painted and written to the ``.mat``
#: file. A part overlapping an earlier one lies strictly in front of it, so
#: "later parts overwrite earlier ones" reproduces the rendering; parts at
#: the same depth never overlap.
PERSON_PARTS = (
    PersonPart('neck', 'box', -0.025, 0.025, 0.125, 0.16, 0.02, 'skin'),
    PersonPart('torso', 'cyl', -0.10, 0.10, 0.16, 0.52, 0.0, 'shirt'),
    PersonPart('ruleg', 'cyl', -0.09, -0.01, 0.52, 0.75, 0.0, 'pants'),
    PersonPart('luleg', 'cyl', 0.01, 0.09, 0.52, 0.75, 0.0, 'pants'),
    PersonPart('rlleg', 'cyl', -0.09, -0.01, 0.75, 0.95, 0.0, 'pants'),
    PersonPart('llleg', 'cyl', 0.01, 0.09, 0.75, 0.95, 0.0, 'pants'),
    PersonPart('rfoot', 'box', -0.11, -0.01, 0.95, 1.0, -0.03, 'shoes'),
    PersonPart('lfoot', 'box', 0.01, 0.11, 0.95, 1.0, -0.03, 'shoes'),
    PersonPart('head', 'ellipsoid', -0.06, 0.06, 0.005, 0.145, -0.05, 'skin'),
    PersonPart('ruarm', 'cyl', -0.16, -0.095, 0.17, 0.34, -0.08, 'shirt'),
    PersonPart('luarm', 'cyl', 0.095, 0.16, 0.17, 0.34, -0.08, 'shirt'),
    PersonPart('rlarm', 'cyl', -0.16, -0.095, 0.34, 0.48, -0.08, 'skin'),
    PersonPart('llarm', 'cyl', 0.095, 0.16, 0.34, 0.48, -0.08, 'skin'),
    PersonPart('rhand', 'box', -0.16, -0.095, 0.48, 0.53, -0.08, 'skin'),
    PersonPart('lhand', 'box', 0.095, 0.16, 0.48, 0.53, -0.08, 'skin'),
)

#: Material -> (low, high) RGB range of its random colour, in draw order.
PERSON_MATERIALS = (
    ('skin', [150, 100, 70], [240, 190, 160]),
    ('shirt', 20, 235),
    ('pants', 20, 160),
    ('shoes', 10, 80),
)

#: ``'hair'`` is the top of the head silhouette, down to this fraction of
#: the height; it is written right after ``'head'``.
HAIR_V = 0.04

#: Part names in ``.mat`` file order.
MAT_PART_ORDER: Tuple[str, ...] = tuple(
    name for part in PERSON_PARTS
    for name in ((part.name,
                  'hair') if part.name == 'head' else (part.name, )))


class Box(NamedTuple):
    """Upright box facing the camera (``shading='cyl'``: a cylinder).

    Args:
        width: Width in metres, centred on ``x + dx``.
        y0: Bottom height above the ground in metres.
        y1: Top height.
        dx: Lateral offset from the object's position.
        dz: Depth offset.
        shading: ``'flat'`` or ``'cyl'``.
        colour: See :data:`Colour`.
    """

    width: float
    y0: float
    y1: float
    dx: float = 0.
    dz: float = 0.
    shading: str = 'flat'
    colour: Colour = 1.

    def geometry(self, canvas: Canvas, x: float, z: float):
        """Mask, depth and normals of the box at object position (x, z)."""
        xc = x + self.dx
        return canvas.box(xc - self.width / 2, xc + self.width / 2, self.y0,
                          self.y1, z + self.dz, self.shading)


class Ellipsoid(NamedTuple):
    """Ellipsoid centred ``yc`` metres above the ground.

    Args:
        yc: Height of the centre.
        rx: Radius along x.
        ry: Radius along y.
        rz: Radius along z.
        dx: Lateral offset from the object's position.
        dz: Depth offset.
        colour: See :data:`Colour`.
    """

    yc: float
    rx: float
    ry: float
    rz: float
    dx: float = 0.
    dz: float = 0.
    colour: Colour = 1.

    def geometry(self, canvas: Canvas, x: float, z: float):
        """Mask, depth and normals at object position (x, z)."""
        return canvas.ellipsoid(x + self.dx, self.yc, z + self.dz, self.rx,
                                self.ry, self.rz)


class ObjectSpec(NamedTuple):
    """A catalogue entry.

    Args:
        prims: Primitives, painted in order.
        behind: If set, the object stands behind the back of the scene, at
            a random depth up to this many metres further.
        hat_prob: If set, the object is a person (:data:`PERSON_PARTS`)
            who wears a hat with this probability.
        decoy_part: A non-person PASCAL-Part part name written for the
            object (the converter must ignore it).
    """

    prims: Tuple[Union[Box, Ellipsoid], ...] = ()
    behind: Optional[float] = None
    hat_prob: Optional[float] = None
    decoy_part: Optional[str] = None


def _quadruped(rx: float,
               ry: float,
               rz: float,
               leg: float,
               decoy_part: Optional[str] = None) -> ObjectSpec:
    """An ellipsoid body on two (darker) cylindrical legs."""
    legs = tuple(
        Box(.12, 0., leg + .05, dx=sx * rx, dz=.02, shading='cyl', colour=0.8)
        for sx in (-0.6, 0.6))
    return ObjectSpec(
        legs + (Ellipsoid(leg + ry, rx, ry, rz), ), decoy_part=decoy_part)


#: PASCAL object kinds (PASCAL-Context names).
PASCAL_OBJECTS: Dict[str, ObjectSpec] = dict(
    car=ObjectSpec((Box(3.5, 0., 1.4), ), decoy_part='frontside'),
    sofa=ObjectSpec((Box(1.8, 0., .9), )),
    chair=ObjectSpec((Box(.5, 0., .9), )),
    building=ObjectSpec((Box(6., 0., 5.), ), behind=20.),
    tvmonitor=ObjectSpec((Box(.6, .5, .95), )),
    bottle=ObjectSpec((Box(.1, 0., .3, shading='cyl'), )),
    dog=_quadruped(.45, .2, .2, .3, decoy_part='head'),
    horse=_quadruped(1.1, .4, .35, .9),
    pottedplant=ObjectSpec((
        Box(.3, 0., .3, shading='cyl'),
        Ellipsoid(.5, .25, .22, .2, colour=(50, 140, 50)),
    )),
    tree=ObjectSpec(
        (Box(.3, 0., 2., dz=.3, shading='cyl', colour=(60, 80, 110)),
         Ellipsoid(2.6, 1.2, 1., 1., colour=(40, 120, 40)))),
)

#: NYUD object kinds (NYUD class names; ``clutter`` is unlabelled), in the
#: order of the random draw.
NYUD_OBJECTS: Dict[str, ObjectSpec] = dict(
    bed=ObjectSpec((Box(2., 0., .6), )),
    chair=ObjectSpec((Box(.5, 0., .9), )),
    sofa=ObjectSpec((Box(1.8, 0., .9), )),
    table=ObjectSpec((Box(1.2, 0., .75), )),
    cabinet=ObjectSpec((Box(.8, 0., 1.6), )),
    lamp=ObjectSpec((Box(.06, 0., 1.2, dz=.01, shading='cyl'),
                     Ellipsoid(1.35, .2, .15, .2, colour=(250, 240, 200)))),
    box=ObjectSpec((Box(.4, 0., .35), )),
    person=ObjectSpec(hat_prob=0.3),
    clutter=ObjectSpec((Ellipsoid(.2, .3, .2, .25), )),
)

#: Things on the NYUD back wall: (class name, whether it has depth; a
#: window is glass).
NYUD_WALL_ITEMS = (('picture', True), ('window', False))


class View(NamedTuple):
    """Camera and depth range of a dataset's scenes.

    Args:
        focal: Focal length in image widths.
        horizon: Range of the horizon row, in image heights.
        height: Range of the camera height in metres.
        near: Nearest object depth in metres.
    """

    focal: float
    horizon: Tuple[float, float]
    height: Tuple[float, float]
    near: float

    def canvas(self, size: Tuple[int, int],
               rng: np.random.Generator) -> Canvas:
        """A canvas with a random horizon and camera height."""
        h, w = size
        return Canvas(
            size,
            focal=self.focal * w,
            horizon=rng.uniform(*self.horizon) * h,
            cam_h=rng.uniform(*self.height))


class Scene(NamedTuple):
    """A PASCAL scene type.

    Args:
        background: Paints the background; returns the depth of the back
            of the scene.
        kinds: Object kinds (keys of :data:`PASCAL_OBJECTS`) to draw from.
    """

    background: Callable[[Canvas, np.random.Generator], float]
    kinds: Tuple[str, ...]


PASCAL_VIEW = View(1.1, (0.35, 0.5), (1.4, 1.8), near=3.)
NYUD_VIEW = View(0.9, (0.4, 0.55), (1.0, 1.4), near=1.5)

#: Outdoor grounds: (Context name, colour), drawn with equal chance.
_GROUNDS = (('grass', (60, 150, 70)), ('ground', (70, 110, 140)))


def _outdoor(canvas: Canvas, rng: np.random.Generator) -> float:
    """Sky (no valid normals) and grass or bare ground."""
    ctx = context_name_to_id()
    o = canvas.add_object(voc=0, ctx=ctx['sky'])
    canvas.paint(o, *canvas.fronto_plane(1e6), (120, 180, 235), emissive=True)
    name, colour = _GROUNDS[0] if rng.random() < 0.5 else _GROUNDS[1]
    o = canvas.add_object(voc=0, ctx=ctx[name])
    canvas.paint(o, *canvas.plane_rows(0., up=True), colour)
    return 14.


def _indoor(canvas: Canvas, rng: np.random.Generator) -> float:
    """A back wall and a floor (valid normals)."""
    ctx = context_name_to_id()
    far = rng.uniform(7., 10.)
    o = canvas.add_object(voc=0, ctx=ctx['wall'])
    canvas.paint(o, *canvas.fronto_plane(far), rng.uniform(120, 220, 3))
    o = canvas.add_object(voc=0, ctx=ctx['floor'])
    canvas.paint(o, *canvas.plane_rows(0., up=True), rng.uniform(60, 160, 3))
    return far


#: PASCAL scene types; image ``idx`` uses ``PASCAL_SCENES[idx % 2]``.
PASCAL_SCENES = (
    Scene(_outdoor, ('car', 'dog', 'horse', 'tree', 'building', 'bottle')),
    Scene(_indoor,
          ('chair', 'sofa', 'tvmonitor', 'pottedplant', 'dog', 'bottle')),
)


def place(canvas: Canvas, rng: np.random.Generator, z: float) -> float:
    """Random lateral position at depth z whose column is in the frame."""
    u = rng.uniform(0.08, 0.92) * canvas.size[1]
    return (u - canvas.cx) * z / canvas.focal


def paint_person(canvas: Canvas, rng: np.random.Generator, obj: int, x: float,
                 z: float, height: float, hat: bool) -> Dict[str, np.ndarray]:
    """Paint a person standing at (x, 0, z).

    Returns:
        dict: PASCAL-Part part name -> silhouette (before occlusion).
    """
    colours = {
        name: rng.uniform(low, high, 3)
        for name, low, high in PERSON_MATERIALS
    }
    sil = {}
    for part in PERSON_PARTS:
        zz = z + part.dz
        if part.shape == 'ellipsoid':
            rx = (part.x1 - part.x0) / 2 * height
            ry = (part.v1 - part.v0) / 2 * height
            yc = height * (1 - (part.v0 + part.v1) / 2)
            geo = canvas.ellipsoid(x + (part.x0 + part.x1) / 2 * height, yc,
                                   zz, rx, ry, 0.9 * rx)
        else:
            geo = canvas.box(x + part.x0 * height, x + part.x1 * height,
                             height * (1 - part.v1), height * (1 - part.v0),
                             zz, part.shape)
        sil[part.name] = canvas.paint(
            obj, *geo, colours[part.material], part=part.name)
        if part.name == 'head':
            sil['hair'] = sil['head'] & (
                canvas.v < canvas.row(height * (1 - HAIR_V), zz))
    if hat:  # in front of the head; person pixels that belong to no part
        geo = canvas.box(x - 0.07 * height, x + 0.07 * height, height * 0.97,
                         height * 1.03, z - 0.15)
        canvas.paint(obj, *geo, rng.uniform(0, 255, 3), accessory=True)
    return sil


def paint_object(canvas: Canvas, obj: int, spec: ObjectSpec, x: float,
                 z: float, colour: np.ndarray) -> None:
    """Paint the primitives of a (non-person) catalogue entry."""
    for prim in spec.prims:
        rgb = colour * prim.colour if isinstance(prim.colour,
                                                 float) else prim.colour
        canvas.paint(obj, *prim.geometry(canvas, x, z), rgb)


def render_pascal(idx: int, size: Tuple[int, int],
                  seed: int) -> Tuple[Canvas, Persons, np.random.Generator]:
    """Render PASCAL image ``idx``.

    Every 4th image has no person; the first person is annotated with
    parts, others with probability 0.6.

    Returns:
        tuple: The canvas, the persons and the image's random generator
        (for the draws that follow: image noise, soft saliency).
    """
    rng = np.random.default_rng([seed, 1, idx])
    ctx = context_name_to_id()
    voc = {n: i for i, n in enumerate(voc_classes())}
    scene = PASCAL_SCENES[idx % 2]
    canvas = PASCAL_VIEW.canvas(size, rng)
    far = scene.background(canvas, rng)

    persons = []
    n_person = 0 if idx % 4 == 3 else 1 + int(rng.integers(0, 2))
    for k in range(n_person):
        z = rng.uniform(PASCAL_VIEW.near, far - 1.)
        parts = k == 0 or rng.random() < 0.6
        o = canvas.add_object(
            voc=voc['person'], ctx=ctx['person'], name='person', parts=parts)
        sil = paint_person(canvas, rng, o, place(canvas, rng, z), z,
                           rng.uniform(1.5, 1.9),
                           rng.random() < 0.4)
        persons.append((o, sil))

    for kind in rng.choice(scene.kinds, size=int(rng.integers(1, 4))):
        spec = PASCAL_OBJECTS[kind]
        z = rng.uniform(PASCAL_VIEW.near, far - 0.5)
        x = place(canvas, rng, z)
        col = rng.uniform(30, 230, 3)
        o = canvas.add_object(voc=voc.get(kind, 0), ctx=ctx[kind], name=kind)
        if spec.behind is not None:
            z = rng.uniform(far, far + spec.behind)
            x = place(canvas, rng, z)
        paint_object(canvas, o, spec, x, z, col)
    return canvas, persons, rng


def _nyud_room(canvas: Canvas, rng: np.random.Generator,
               cls: Dict[str, int]) -> float:
    """Back and side walls, floor and ceiling; returns the back depth."""
    far = rng.uniform(4., 6.)
    wall_col = rng.uniform(140, 230, 3)
    surfaces = (
        ('wall', canvas.fronto_plane(far)),
        ('wall', canvas.vertical_plane(-rng.uniform(1.5, 2.5))),
        ('wall', canvas.vertical_plane(rng.uniform(1.5, 2.5))),
        ('floor', canvas.plane_rows(0., up=True)),
        ('ceiling', canvas.plane_rows(2.6, up=False)),
    )
    for name, geo in surfaces:
        o = canvas.add_object(cls=cls[name], valid=True)
        canvas.paint(o, *geo,
                     wall_col if name == 'wall' else rng.uniform(60, 200, 3))
    for name, has_depth in NYUD_WALL_ITEMS:
        x = rng.uniform(-1.2, 1.2)
        o = canvas.add_object(cls=cls[name], valid=has_depth)
        canvas.paint(o, *canvas.box(x - .35, x + .35, 1.2, 1.8, far - .02),
                     rng.uniform(20, 240, 3))
    return far


def render_nyud(idx: int, size: Tuple[int, int],
                seed: int) -> Tuple[Canvas, np.random.Generator]:
    """Render NYUD image ``idx`` (an indoor room with 2-4 objects).

    Every 3rd image gets an extra unlabelled ``clutter`` object.

    Returns:
        tuple: The canvas and the image's random generator.
    """
    rng = np.random.default_rng([seed, 2, idx])
    cls = {n: i + 1 for i, n in enumerate(nyud_classes())}  # png ids
    canvas = NYUD_VIEW.canvas(size, rng)
    far = _nyud_room(canvas, rng, cls)
    chosen = list(
        rng.choice(tuple(NYUD_OBJECTS), size=int(rng.integers(2, 5))))
    if idx % 3 == 0:  # guarantee some unlabelled pixels in the set
        chosen.append('clutter')
    for kind in chosen:
        spec = NYUD_OBJECTS[kind]
        z = rng.uniform(NYUD_VIEW.near, far - .5)
        x = place(canvas, rng, z)
        col = rng.uniform(30, 230, 3)
        o = canvas.add_object(cls=cls.get(kind, 0), valid=True)
        if spec.hat_prob is not None:
            paint_person(canvas, rng, o, x, z, rng.uniform(1.5, 1.9),
                         rng.random() < spec.hat_prob)
        else:
            paint_object(canvas, o, spec, x, z, col)
    return canvas, rng
