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
    'PASCAL_OBJECTS', 'NYUD_OBJECTS', 'PASCAL_SCENES', 'PASCAL_PRIMARY',
    'PASCAL_APPARENT_HEIGHT', 'PASCAL_MIN_VISIBLE', 'PASCAL_VIEW', 'NYUD_VIEW',
    'NYUD_WALL_ITEMS', 'place', 'place_apparent', 'spec_top', 'paint_person',
    'paint_object', 'render_pascal', 'render_nyud'
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
               head: float,
               neck: float,
               decoy_part: Optional[str] = None) -> ObjectSpec:
    """An animal facing right: an ellipsoid body on two (darker)
    cylindrical legs, a neck of height ``neck`` (none if 0) carrying an
    ellipsoid head of radius ``head``, and a tail."""
    legs = tuple(
        Box(.12, 0., leg + .05, dx=sx * rx, dz=.02, shading='cyl', colour=0.8)
        for sx in (-0.6, 0.6))
    top = leg + 2 * ry
    parts = legs + (
        Box(.06,
            leg + ry,
            leg + 1.7 * ry,
            dx=-rx,
            dz=.05,
            shading='cyl',
            colour=0.7),
        Ellipsoid(leg + ry, rx, ry, rz),
    )
    if neck:
        parts += (Box(
            2 * head, leg + ry, top + neck, dx=.8 * rx, dz=-.05,
            shading='cyl'), )
    parts += (Ellipsoid(
        top + neck, 1.4 * head, head, head, dx=.8 * rx + .6 * head, dz=-.1), )
    return ObjectSpec(parts, decoy_part=decoy_part)


#: A chair facing the camera: a backrest above a seat edge on two legs.
CHAIR = ObjectSpec((
    Box(.05, 0., .42, dx=-.2, dz=-.2, shading='cyl', colour=0.6),
    Box(.05, 0., .42, dx=.2, dz=-.2, shading='cyl', colour=0.6),
    Box(.5, .42, .5, dz=-.2, colour=0.75),
    Box(.5, .5, .95),
))
#: A sofa facing the camera: backrest, seat, two armrests, short feet.
SOFA = ObjectSpec((
    Box(.06, 0., .12, dx=-.8, dz=-.35, colour=0.4),
    Box(.06, 0., .12, dx=.8, dz=-.35, colour=0.4),
    Box(1.8, .45, .85, colour=0.85),
    Box(1.4, .12, .45, dz=-.35),
    Box(.22, .12, .62, dx=-.79, dz=-.4, shading='cyl'),
    Box(.22, .12, .62, dx=.79, dz=-.4, shading='cyl'),
))

#: PASCAL object kinds (PASCAL-Context names).
PASCAL_OBJECTS: Dict[str, ObjectSpec] = dict(
    car=ObjectSpec((
        Box(3.6, .25, .95),
        Box(2., .95, 1.45, colour=0.85),
        Box(1.8, 1., 1.4, dz=-.01, colour=(70, 90, 110)),
        Ellipsoid(.33, .33, .33, .15, dx=-1.15, dz=-.05, colour=(25, 25, 25)),
        Ellipsoid(.33, .33, .33, .15, dx=1.15, dz=-.05, colour=(25, 25, 25)),
    ),
                   decoy_part='frontside'),
    sofa=SOFA,
    chair=CHAIR,
    building=ObjectSpec((Box(6., 0., 5.), ), behind=20.),
    tvmonitor=ObjectSpec((
        Box(.06, 0., .7, dz=.02, shading='cyl', colour=0.5),
        Box(.9, .7, 1.25),
        Box(.8, .74, 1.21, dz=-.01, colour=(15, 20, 35)),
    )),
    bottle=ObjectSpec((Box(.1, 0., .3, shading='cyl'), )),
    dog=_quadruped(.45, .2, .2, .3, .14, 0., decoy_part='head'),
    horse=_quadruped(1.1, .4, .35, .9, .22, .45),
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
    chair=CHAIR,
    sofa=SOFA,
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


PASCAL_VIEW = View(1.0, (0.3, 0.45), (1.0, 1.5), near=1.5)
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


#: PASCAL scene types, by index: outdoor (0) and indoor (1). ``kinds`` are
#: the kinds of the extra objects of an image (tree and building are VOC
#: background).
PASCAL_SCENES = (
    Scene(_outdoor, ('car', 'dog', 'horse', 'tree', 'building')),
    Scene(_indoor, ('chair', 'sofa', 'tvmonitor', 'pottedplant', 'dog')),
)

#: The main object of each PASCAL image and its scene type: image ``idx``
#: is built around ``PASCAL_PRIMARY[idx % 7]``, so every VOC class of the
#: demo is the main object of one image in seven, in train and in val. The
#: cycle's length is prime to the period 4 of the images without a person.
_OUT, _IN = 0, 1
PASCAL_PRIMARY: Tuple[Tuple[str, int], ...] = (
    ('car', _OUT),
    ('chair', _IN),
    ('horse', _OUT),
    ('sofa', _IN),
    ('dog', _OUT),
    ('tvmonitor', _IN),
    ('pottedplant', _IN),
)

#: Apparent height (top of the object above its foot point, as a fraction
#: of the image height) each PASCAL kind is drawn at: objects are framed as
#: in a photo of them, never specks, and seen whole (moved back where their
#: feet would leave the image). People are drawn from knee-length portraits
#: down to half the image.
PASCAL_APPARENT_HEIGHT: Dict[str, Tuple[float, float]] = dict(
    person=(0.45, 0.9),
    car=(0.25, 0.45),
    horse=(0.45, 0.7),
    dog=(0.28, 0.42),
    chair=(0.36, 0.52),
    sofa=(0.3, 0.45),
    tvmonitor=(0.38, 0.55),
    pottedplant=(0.3, 0.45),
    tree=(0.5, 0.9))

#: Every visible VOC object of a PASCAL image covers at least this
#: fraction of the image (an image is re-drawn until it holds).
PASCAL_MIN_VISIBLE = 0.012


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


def spec_top(spec: ObjectSpec) -> float:
    """Height of the top of a (non-person) catalogue entry in metres."""
    return max(p.y1 if isinstance(p, Box) else p.yc + p.ry for p in spec.prims)


def place_apparent(canvas: Canvas,
                   rng: np.random.Generator,
                   top: float,
                   apparent: Tuple[float, float],
                   u: float,
                   near: float,
                   feet_in_frame: bool = False) -> Tuple[float, float]:
    """Foot point ``(x, z)`` of an object drawn at a random apparent size.

    Args:
        canvas: The canvas (camera).
        rng: Generator of the apparent height.
        top: Height of the object's top above its foot point in metres.
        apparent: Range of its apparent height in image heights.
        u: Image column of its axis.
        near: Nearest depth in metres.
        feet_in_frame: Move the object back (smaller) where its foot point
            would fall below the image, so that it is seen whole.
    """
    z = max(near,
            canvas.focal * top / (rng.uniform(*apparent) * canvas.size[0]))
    if feet_in_frame:
        # Foot row: horizon + focal * cam_h / z <= the last row.
        room = canvas.size[0] - 1 - canvas.horizon
        z = max(z, canvas.focal * canvas.cam_h / room)
    return (u - canvas.cx) * z / canvas.focal, z


def _visible_enough(canvas: Canvas, min_fraction: float) -> bool:
    """Whether every VOC object covers ``min_fraction`` of the image."""
    area = np.bincount(
        canvas.owner().ravel() + 1, minlength=len(canvas.objects) + 1)[1:]
    need = min_fraction * canvas.prim.size
    return all(a >= need for a, m in zip(area, canvas.objects) if m['voc'])


def render_pascal(idx: int, size: Tuple[int, int],
                  seed: int) -> Tuple[Canvas, Persons, np.random.Generator]:
    """Render PASCAL image ``idx``.

    The image shows the main object of :data:`PASCAL_PRIMARY` in its scene
    type, 0-2 extra objects of that scene and, except in every 4th image,
    one or two people, all annotated with parts. Objects stand in their own
    lateral slots at the apparent sizes of
    :data:`PASCAL_APPARENT_HEIGHT`; the image is drawn again (same
    generator, next draws) until every visible VOC object covers
    :data:`PASCAL_MIN_VISIBLE` of it.

    Returns:
        tuple: The canvas, the persons and the image's random generator
        (for the draws that follow: image noise, soft saliency).

    Raises:
        RuntimeError: If 100 draws in a row hide an object (only at sizes
            far below the demo's).
    """
    rng = np.random.default_rng([seed, 1, idx])
    ctx = context_name_to_id()
    voc = {n: i for i, n in enumerate(voc_classes())}
    primary, scene_id = PASCAL_PRIMARY[idx % len(PASCAL_PRIMARY)]
    scene = PASCAL_SCENES[scene_id]
    n_person = 0 if idx % 4 == 3 else 1 + int(rng.random() < 0.35)
    for _ in range(100):
        canvas = PASCAL_VIEW.canvas(size, rng)
        far = scene.background(canvas, rng)
        n_extra = int(rng.choice(3, p=(0.35, 0.45, 0.2)))
        kinds = ['person'] * n_person + [primary] + list(
            rng.choice(scene.kinds, size=n_extra))
        slots = rng.permutation(len(kinds))
        persons = []
        for kind, slot in zip(kinds, slots):
            u = (slot + rng.uniform(0.3, 0.7)) / len(kinds) * size[1]
            if kind == 'person':
                height = rng.uniform(1.5, 1.9)
                x, z = place_apparent(canvas, rng, height,
                                      PASCAL_APPARENT_HEIGHT[kind], u,
                                      PASCAL_VIEW.near)
                o = canvas.add_object(
                    voc=voc[kind], ctx=ctx[kind], name=kind, parts=True)
                persons.append(
                    (o, paint_person(canvas, rng, o, x, z, height, False)))
                continue
            spec = PASCAL_OBJECTS[kind]
            if spec.behind is not None:
                z = rng.uniform(far, far + spec.behind)
                x = place(canvas, rng, z)
            else:
                x, z = place_apparent(
                    canvas,
                    rng,
                    spec_top(spec),
                    PASCAL_APPARENT_HEIGHT[kind],
                    u,
                    PASCAL_VIEW.near,
                    feet_in_frame=True)
            o = canvas.add_object(
                voc=voc.get(kind, 0), ctx=ctx[kind], name=kind)
            paint_object(canvas, o, spec, x, z, rng.uniform(30, 230, 3))
        if _visible_enough(canvas, PASCAL_MIN_VISIBLE):
            return canvas, persons, rng
    raise RuntimeError(f'PASCAL demo image {idx} (seed {seed}, size {size}): '
                       'no draw in 100 shows every object on '
                       f'{PASCAL_MIN_VISIBLE:.1%} of the image')


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
