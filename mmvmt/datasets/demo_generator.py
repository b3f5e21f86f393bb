"""Tiny synthetic PASCAL_MT / NYUD_MT sets with consistent multi-task labels.

Each image is a rendered 3-D scene: a pinhole camera above a ground plane
(outdoors: sky and grass; indoors: walls, floor and ceiling) with a few
objects (upright boxes, ellipsoids, cylinders) standing on the ground.
People are built from body-part primitives (head, neck, torso, upper and
lower arms, hands, upper and lower legs, feet, sometimes a hat). A depth
buffer decides which primitive owns each pixel, and every label is read off
that one rendering, so the tasks agree with each other: semantic classes,
human parts, a salient foreground, surface normals (x right, y up, z
towards the camera), depth (metres along the optical axis), edges.

The files follow the raw benchmark layouts exactly (see
:class:`~mmvmt.datasets.PascalContextMTDataset` and
:class:`~mmvmt.datasets.NYUDv2MTDataset`), including PASCAL-Part
``human_parts/<id>.mat`` files (``loadmat(f)['anno'][0][0][1][0]`` is the
object array) and PASCAL-Context ``LabelMap`` files, so the converter
``tools/dataset_converters/pascal_mt.py`` runs on them unchanged.

The generators can also return the *intended* labels: for PASCAL the maps
the converter must reproduce (``human_parts``, ``normals_png``, ``edge``)
and the decoded ``semseg``/``sal``; for NYUD the decoded maps. Intended
human parts and normals come from the rendering, not from the files.

Everything is seeded per image (``seed``, dataset, index), so a set is
reproducible and an image does not depend on the number of images.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import scipy.io

from .edges import label_map_edges
from .transforms.loading import encode_normals
from .facts import (context_name_to_id, normals_valid_context_ids,
                    nyud_classes, part_name_to_class, voc_classes)

__all__ = [
    'DEMO_NUM_TRAIN', 'DEMO_NUM_VAL', 'DEMO_SIZE', 'generate_pascal_mt',
    'generate_nyud_mt', 'generate_demo_data'
]

DEMO_NUM_TRAIN = 80
DEMO_NUM_VAL = 24
DEMO_SIZE = (128, 160)

Labels = Dict[str, np.ndarray]

# Light direction used for shading (camera frame: x right, y up, z to cam).
_LIGHT = np.array([-0.35, 0.8, 0.5]) / np.linalg.norm([-0.35, 0.8, 0.5])

# Person parts: (PASCAL-Part name, shape, x0, x1, v0, v1, dz, colour key).
# x: metres / person height, from the body axis (negative = image left);
# v: from the top of the head, as a fraction of the height; dz: depth
# offset in metres. The list order is the order parts are written to the
# .mat file; any part that overlaps an earlier one lies strictly in front of
# it (smaller depth), so "later parts overwrite earlier ones" reproduces
# the rendering. Parts at the same depth never overlap.
_PERSON_PARTS = (
    ('neck', 'box', -0.025, 0.025, 0.125, 0.16, 0.02, 'skin'),
    ('torso', 'cyl', -0.10, 0.10, 0.16, 0.52, 0.0, 'shirt'),
    ('ruleg', 'cyl', -0.09, -0.01, 0.52, 0.75, 0.0, 'pants'),
    ('luleg', 'cyl', 0.01, 0.09, 0.52, 0.75, 0.0, 'pants'),
    ('rlleg', 'cyl', -0.09, -0.01, 0.75, 0.95, 0.0, 'pants'),
    ('llleg', 'cyl', 0.01, 0.09, 0.75, 0.95, 0.0, 'pants'),
    ('rfoot', 'box', -0.11, -0.01, 0.95, 1.0, -0.03, 'shoes'),
    ('lfoot', 'box', 0.01, 0.11, 0.95, 1.0, -0.03, 'shoes'),
    ('head', 'ellipsoid', -0.06, 0.06, 0.005, 0.145, -0.05, 'skin'),
    ('ruarm', 'cyl', -0.16, -0.095, 0.17, 0.34, -0.08, 'shirt'),
    ('luarm', 'cyl', 0.095, 0.16, 0.17, 0.34, -0.08, 'shirt'),
    ('rlarm', 'cyl', -0.16, -0.095, 0.34, 0.48, -0.08, 'skin'),
    ('llarm', 'cyl', 0.095, 0.16, 0.34, 0.48, -0.08, 'skin'),
    ('rhand', 'box', -0.16, -0.095, 0.48, 0.53, -0.08, 'skin'),
    ('lhand', 'box', 0.095, 0.16, 0.48, 0.53, -0.08, 'skin'),
)
# 'hair' is the top of the head silhouette; written right after 'head'.
_HAIR_V = 0.04


class _Canvas:
    """Depth-buffered renderer of a scene seen by a level pinhole camera.

    Args:
        size: ``(H, W)``.
        focal: Focal length in pixels.
        horizon: Image row of the horizon.
        cam_h: Camera height above the ground in metres.
    """

    def __init__(self, size: Tuple[int, int], focal: float, horizon: float,
                 cam_h: float) -> None:
        h, w = size
        self.size = size
        self.focal, self.horizon, self.cam_h = focal, horizon, cam_h
        self.cx = w / 2.
        self.v, self.u = np.mgrid[0:h, 0:w] + 0.5
        self.depth = np.full(size, np.inf)
        self.normals = np.zeros(size + (3, ))
        self.normals[..., 2] = 1.
        self.prim = np.full(size, -1, np.int32)
        # Per primitive: owner object, part name, colour, emissive.
        self.prims: List[dict] = []
        self.objects: List[dict] = []

    # ---------------------------------------------------------- objects
    def add_object(self, **meta) -> int:
        """Register an object (``voc``/``nyud``/``ctx`` labels etc.)."""
        self.objects.append(meta)
        return len(self.objects) - 1

    def paint(self,
              obj: int,
              mask: np.ndarray,
              depth: np.ndarray,
              normals: np.ndarray,
              colour: Sequence[float],
              part: Optional[str] = None,
              accessory: bool = False,
              emissive: bool = False) -> np.ndarray:
        """Z-test a primitive into the buffers; return its silhouette."""
        pid = len(self.prims)
        self.prims.append(
            dict(
                obj=obj,
                part=part,
                colour=np.asarray(colour, float),
                accessory=accessory,
                emissive=emissive,
                mask=mask))
        win = mask & (depth < self.depth)
        self.depth[win] = depth[win]
        self.normals[win] = normals[win]
        self.prim[win] = pid
        return mask

    def owner(self) -> np.ndarray:
        """Object index of every pixel (-1 where nothing was painted)."""
        objs = np.array([p['obj'] for p in self.prims] + [-1], np.int32)
        return objs[self.prim]

    # --------------------------------------------------------- geometry
    def row(self, height: float, z: float) -> float:
        """Image row of a point ``height`` metres above ground at depth z."""
        return self.horizon - self.focal * (height - self.cam_h) / z

    def col(self, x: float, z: float) -> float:
        """Image column of lateral position ``x`` metres at depth z."""
        return self.cx + self.focal * x / z

    def box(self,
            x0: float,
            x1: float,
            y0: float,
            y1: float,
            z: float,
            shading: str = 'flat'):
        """Upright rectangle facing the camera (optionally a cylinder)."""
        u0, u1 = self.col(x0, z), self.col(x1, z)
        vt, vb = self.row(y1, z), self.row(y0, z)
        mask = (self.u >= u0) & (self.u < u1) & (self.v >= vt) & (self.v < vb)
        normals = np.zeros(self.size + (3, ))
        if shading == 'cyl':
            nx = np.clip((self.u - (u0 + u1) / 2) / max((u1 - u0) / 2, 1e-6),
                         -0.95, 0.95)
            normals[..., 0] = nx
            normals[..., 2] = np.sqrt(1 - nx**2)
        else:
            normals[..., 2] = 1.
        return mask, np.full(self.size, z), normals

    def ellipsoid(self, xc: float, yc: float, z: float, rx: float, ry: float,
                  rz: float):
        """Ellipsoid centred at (xc, yc, z) with radii (rx, ry, rz)."""
        a, b = self.focal * rx / z, self.focal * ry / z
        p = (self.u - self.col(xc, z)) / a
        q = -(self.v - self.row(yc, z)) / b
        r2 = p**2 + q**2
        mask = r2 < 1.
        s = np.sqrt(np.clip(1. - r2, 0., 1.))
        normals = np.stack([p / rx, q / ry, s / rz], axis=-1)
        normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
        return mask, z - rz * s, normals

    def plane_rows(self, height: float, up: bool):
        """Horizontal plane (ground, ceiling) at ``height`` metres."""
        dv = self.v - self.horizon
        below = dv > 0 if height < self.cam_h else dv < 0
        depth = np.full(self.size, np.inf)
        depth[below] = self.focal * (self.cam_h - height) / dv[below]
        normals = np.zeros(self.size + (3, ))
        normals[..., 1] = 1. if up else -1.
        return below, depth, normals

    def vertical_plane(self, x: float):
        """Side wall at lateral position ``x`` (normal facing the room)."""
        du = self.u - self.cx
        side = du < 0 if x < 0 else du > 0
        depth = np.full(self.size, np.inf)
        depth[side] = self.focal * x / du[side]
        normals = np.zeros(self.size + (3, ))
        normals[..., 0] = 1. if x < 0 else -1.
        return side, depth, normals

    def fronto_plane(self, z: float):
        """Wall facing the camera at depth z."""
        normals = np.zeros(self.size + (3, ))
        normals[..., 2] = 1.
        return np.ones(self.size, bool), np.full(self.size, z), normals

    # -------------------------------------------------------- rendering
    def image(self, rng: np.random.Generator) -> np.ndarray:
        """Shaded RGB ``uint8`` image of the scene."""
        colours = np.array([p['colour'] for p in self.prims] + [[0, 0, 0]])
        emissive = np.array([p['emissive'] for p in self.prims] + [True])
        shade = 0.45 + 0.55 * np.clip(self.normals @ _LIGHT, 0., 1.)
        shade = np.where(emissive[self.prim], 1., shade)
        img = colours[self.prim] * shade[..., None]
        img += rng.normal(0., 6., img.shape)
        return np.clip(img, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- objects
def _person(cv: _Canvas, rng: np.random.Generator, obj: int, x: float,
            z: float, height: float, hat: bool) -> Dict[str, np.ndarray]:
    """Paint a person; return the silhouette of each PASCAL-Part part."""
    colours = dict(
        skin=rng.uniform([150, 100, 70], [240, 190, 160]),
        shirt=rng.uniform(20, 235, 3),
        pants=rng.uniform(20, 160, 3),
        shoes=rng.uniform(10, 80, 3))
    sil = {}
    for name, shape, x0, x1, v0, v1, dz, colour in _PERSON_PARTS:
        zz = z + dz
        if shape == 'ellipsoid':
            rx, ry = (x1 - x0) / 2 * height, (v1 - v0) / 2 * height
            yc = height * (1 - (v0 + v1) / 2)
            geo = cv.ellipsoid(x + (x0 + x1) / 2 * height, yc, zz, rx, ry,
                               0.9 * rx)
        else:
            geo = cv.box(x + x0 * height, x + x1 * height, height * (1 - v1),
                         height * (1 - v0), zz, shape)
        sil[name] = cv.paint(obj, *geo, colours[colour], part=name)
        if name == 'head':
            sil['hair'] = sil['head'] & (
                cv.v < cv.row(height * (1 - _HAIR_V), zz))
    if hat:  # in front of the head; person pixels that belong to no part
        geo = cv.box(x - 0.07 * height, x + 0.07 * height, height * 0.97,
                     height * 1.03, z - 0.15)
        cv.paint(obj, *geo, rng.uniform(0, 255, 3), accessory=True)
    return sil


def _place(cv: _Canvas, rng: np.random.Generator, z: float) -> float:
    """Lateral position whose image column is inside the frame."""
    u = rng.uniform(0.08, 0.92) * cv.size[1]
    return (u - cv.cx) * z / cv.focal


def _render_pascal(idx: int, size: Tuple[int, int], seed: int):
    """Render one PASCAL-style scene; return the canvas and person parts."""
    rng = np.random.default_rng([seed, 1, idx])
    h, w = size
    ctx = context_name_to_id()
    voc = {n: i for i, n in enumerate(voc_classes())}
    indoor = idx % 2 == 1
    cv = _Canvas(
        size,
        focal=1.1 * w,
        horizon=rng.uniform(0.35, 0.5) * h,
        cam_h=rng.uniform(1.4, 1.8))

    if indoor:
        far = rng.uniform(7., 10.)
        o = cv.add_object(voc=0, ctx=ctx['wall'])
        cv.paint(o, *cv.fronto_plane(far), rng.uniform(120, 220, 3))
        o = cv.add_object(voc=0, ctx=ctx['floor'])
        cv.paint(o, *cv.plane_rows(0., up=True), rng.uniform(60, 160, 3))
        kinds = ['chair', 'sofa', 'tvmonitor', 'pottedplant', 'dog', 'bottle']
    else:
        far = 14.
        o = cv.add_object(voc=0, ctx=ctx['sky'])
        sky = np.ones(size, bool), np.full(size, 1e6), cv.normals.copy()
        cv.paint(o, *sky, (120, 180, 235), emissive=True)
        ground = 'grass' if rng.random() < 0.5 else 'ground'
        o = cv.add_object(voc=0, ctx=ctx[ground])
        cv.paint(o, *cv.plane_rows(0., up=True),
                 (60, 150, 70) if ground == 'grass' else (70, 110, 140))
        kinds = ['car', 'dog', 'horse', 'tree', 'building', 'bottle']

    persons = []
    n_person = 0 if idx % 4 == 3 else 1 + int(rng.integers(0, 2))
    for k in range(n_person):
        z = rng.uniform(3., far - 1.)
        # The first person is annotated with parts; others with prob. 0.6.
        parts = k == 0 or rng.random() < 0.6
        o = cv.add_object(
            voc=voc['person'], ctx=ctx['person'], name='person', parts=parts)
        sil = _person(
            cv,
            rng,
            o,
            _place(cv, rng, z),
            z,
            rng.uniform(1.5, 1.9),
            hat=rng.random() < 0.4)
        persons.append((o, sil))

    for kind in rng.choice(kinds, size=int(rng.integers(1, 4))):
        z = rng.uniform(3., far - 0.5)
        x = _place(cv, rng, z)
        col = rng.uniform(30, 230, 3)
        vid = voc.get(kind, 0)
        o = cv.add_object(voc=vid, ctx=ctx[kind], name=kind)
        if kind in ('car', 'sofa', 'chair', 'building'):
            wd, ht = dict(
                car=(3.5, 1.4),
                sofa=(1.8, 0.9),
                chair=(0.5, 0.9),
                building=(6., 5.))[kind]
            if kind == 'building':
                z = rng.uniform(far, far + 20.)
                x = _place(cv, rng, z)
            cv.paint(o, *cv.box(x - wd / 2, x + wd / 2, 0., ht, z), col)
        elif kind == 'tvmonitor':
            cv.paint(o, *cv.box(x - .3, x + .3, .5, .95, z), col)
        elif kind == 'bottle':
            cv.paint(o, *cv.box(x - .05, x + .05, 0., .3, z, 'cyl'), col)
        elif kind in ('dog', 'horse'):
            rx, ry, rz, leg = dict(
                dog=(.45, .2, .2, .3), horse=(1.1, .4, .35, .9))[kind]
            for sx in (-0.6, 0.6):
                cv.paint(
                    o,
                    *cv.box(x + sx * rx - .06, x + sx * rx + .06, 0.,
                            leg + .05, z + .02, 'cyl'), col * 0.8)
            cv.paint(o, *cv.ellipsoid(x, leg + ry, z, rx, ry, rz), col)
        elif kind == 'pottedplant':
            cv.paint(o, *cv.box(x - .15, x + .15, 0., .3, z, 'cyl'), col)
            cv.paint(o, *cv.ellipsoid(x, .5, z, .25, .22, .2), (50, 140, 50))
        else:  # tree
            cv.paint(o, *cv.box(x - .15, x + .15, 0., 2., z + .3, 'cyl'),
                     (60, 80, 110))
            cv.paint(o, *cv.ellipsoid(x, 2.6, z, 1.2, 1., 1.), (40, 120, 40))
    return cv, persons, rng


# ------------------------------------------------------------ PASCAL files
_OBJ_DTYPE = [('class', 'O'), ('class_ind', 'O'), ('mask', 'O'),
              ('parts', 'O')]
_PART_DTYPE = [('part_name', 'O'), ('mask', 'O')]
_PART_ORDER = [p[0] for p in _PERSON_PARTS]
_PART_ORDER.insert(_PART_ORDER.index('head') + 1, 'hair')


def _struct(dtype, rows: List[tuple]) -> np.ndarray:
    if not rows:
        return np.zeros((0, 0))
    arr = np.zeros((1, len(rows)), dtype=dtype)
    for i, row in enumerate(rows):
        arr[0, i] = row
    return arr


def _pascal_part_mat(path: str, img_id: str, cv: _Canvas, owner: np.ndarray,
                     persons) -> bool:
    """Write the PASCAL-Part file; return whether a person has parts."""
    voc_names = voc_classes()
    accessory = np.array([p['accessory'] for p in cv.prims] + [False])
    acc = accessory[cv.prim]
    person_sil = dict(persons)
    objects, any_parts = [], False
    for o, meta in enumerate(cv.objects):
        visible = owner == o
        if meta['voc'] == 0 or not visible.any():
            continue
        parts = []
        if o in person_sil and meta['parts']:
            sil = person_sil[o]
            for name in _PART_ORDER:
                mask = sil[name] & visible & ~acc
                if mask.any():
                    parts.append((name, mask.astype(np.uint8)))
        elif meta['name'] in ('car', 'dog'):
            # Non-person parts must be ignored by the converter ('head' is a
            # person part name too).
            name = 'frontside' if meta['name'] == 'car' else 'head'
            sub = visible & (cv.u < cv.u[visible].mean())
            if sub.any():
                parts.append((name, sub.astype(np.uint8)))
        any_parts |= meta['name'] == 'person' and bool(parts)
        objects.append(
            (voc_names[meta['voc']], np.array([[meta['voc']]], np.uint8),
             visible.astype(np.uint8), _struct(_PART_DTYPE, parts)))
    anno = np.zeros((1, 1), dtype=[('imname', 'O'), ('objects', 'O')])
    anno[0, 0] = (img_id, _struct(_OBJ_DTYPE, objects))
    scipy.io.savemat(path, {'anno': anno}, do_compression=True)
    return any_parts


def _void_border(labels: np.ndarray) -> np.ndarray:
    """VOC style: object pixels next to another class become 255."""
    pad = np.pad(labels, 1, mode='edge')
    diff = np.zeros(labels.shape, bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        diff |= pad[dy:dy + labels.shape[0], dx:dx + labels.shape[1]] != labels
    out = labels.copy()
    out[diff & (labels > 0)] = 255
    return out


def _soft_saliency(salient: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Soft map: 200..255 inside, 0..60 outside, 128 / 127 at the border."""
    sal = np.where(salient, rng.integers(200, 256, salient.shape),
                   rng.integers(0, 61, salient.shape)).astype(np.uint8)
    grown = cv2.dilate(salient.astype(np.uint8), np.ones((3, 3), np.uint8))
    shrunk = cv2.erode(salient.astype(np.uint8), np.ones((3, 3), np.uint8))
    sal[(grown > 0) & ~salient] = 127  # 127/255 < 0.5 -> background
    sal[salient & (shrunk == 0)] = 128  # 128/255 > 0.5 -> salient
    return sal


def _voc_palette_png(path: str, labels: np.ndarray) -> None:
    """Write a palette png like the VOC annotations (indices != colours)."""
    from PIL import Image

    from mmseg.datasets import PascalVOCDataset
    palette = np.zeros((256, 3), np.uint8)
    palette[:21] = PascalVOCDataset.METAINFO['palette']
    palette[255] = (224, 224, 192)
    img = Image.frombytes('P', labels.shape[::-1],
                          np.ascontiguousarray(labels).tobytes())
    img.putpalette(palette.flatten().tolist())
    img.save(path)


def _write_rgb(path: str, rgb: np.ndarray, jpg: bool = False) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if jpg else []
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params):
        raise OSError(f'cannot write {path}')


def _pascal_ids(num_train: int, num_val: int) -> Dict[str, List[str]]:
    ids = [f'{2008 + i % 3}_{i:06d}' for i in range(num_train + num_val)]
    return dict(train=ids[:num_train], val=ids[num_train:])


def generate_pascal_mt(
        root: str,
        num_train: int = DEMO_NUM_TRAIN,
        num_val: int = DEMO_NUM_VAL,
        size: Tuple[int, int] = DEMO_SIZE,
        seed: int = 0,
        return_labels: bool = False) -> Optional[Dict[str, Labels]]:
    """Write a raw ``PASCAL_MT`` tree (before conversion) under ``root``.

    Every 4th image has no person (human parts all-ignore), every 5th
    stores its semseg in ``semseg/pascal-context`` instead of
    ``semseg/VOC12``, odd images are indoor scenes (wall/floor: normals
    valid) and even ones outdoor (sky/grass/ground: normals invalid).

    Args:
        root: Output folder (the ``PASCAL_MT`` root).
        num_train: Number of train images.
        num_val: Number of val images.
        size: ``(H, W)`` of the images.
        seed: Random seed.
        return_labels: Also return the intended labels.

    Returns:
        dict | None: If ``return_labels``, image id -> dict with ``semseg``
        (uint8, as stored), ``sal`` (uint8 {0, 1}), ``human_parts`` (uint8,
        255 ignore), ``normals_png`` (uint8 RGB, (0, 0, 0) invalid),
        ``edge`` (uint8 {0, 1}), ``label_map`` (uint16) and ``split``.
    """
    dirs = dict(
        img='JPEGImages',
        voc='semseg/VOC12',
        context='semseg/pascal-context',
        sal='sal_distill',
        parts='human_parts',
        normals='normals_distill',
        label_map='pascal-context/trainval',
        sets='ImageSets/Context')
    for d in dirs.values():
        os.makedirs(osp.join(root, d), exist_ok=True)
    splits = _pascal_ids(num_train, num_val)
    valid_ids = np.fromiter(normals_valid_context_ids(), np.int64)
    part_cls = part_name_to_class()
    labels = {}
    for split, ids in splits.items():
        with open(osp.join(root, dirs['sets'], f'{split}.txt'), 'w') as f:
            f.write(''.join(f'{i}\n' for i in ids))
    for idx, img_id in enumerate(splits['train'] + splits['val']):
        cv, persons, rng = _render_pascal(idx, size, seed)
        owner = cv.owner()
        meta = cv.objects
        voc_map = np.array([m['voc'] for m in meta], np.uint8)[owner]
        label_map = np.array([m['ctx'] for m in meta], np.uint16)[owner]

        _write_rgb(
            osp.join(root, dirs['img'], f'{img_id}.jpg'),
            cv.image(rng),
            jpg=True)
        if idx % 5 == 4:
            semseg = voc_map
            cv2.imwrite(
                osp.join(root, dirs['context'], f'{img_id}.png'), semseg)
        else:
            semseg = _void_border(voc_map)
            _voc_palette_png(
                osp.join(root, dirs['voc'], f'{img_id}.png'), semseg)
        # Salient: every person and the nearest other visible VOC object.
        visible = [
            o for o, m in enumerate(meta)
            if m['voc'] > 0 and (owner == o).any()
        ]
        chosen = {o for o in visible if meta[o]['name'] == 'person'}
        others = [o for o in visible if meta[o]['name'] != 'person']
        if others:
            chosen.add(min(others, key=lambda o: cv.depth[owner == o].min()))
        salient = np.isin(owner, list(chosen))
        sal = _soft_saliency(salient, rng)
        cv2.imwrite(osp.join(root, dirs['sal'], f'{img_id}.png'), sal)

        has_parts = _pascal_part_mat(
            osp.join(root, dirs['parts'], f'{img_id}.mat'), img_id, cv, owner,
            persons)
        normals_rgb = encode_normals(cv.normals)
        _write_rgb(
            osp.join(root, dirs['normals'], f'{img_id}.png'), normals_rgb)
        scipy.io.savemat(
            osp.join(root, dirs['label_map'], f'{img_id}.mat'),
            {'LabelMap': label_map},
            do_compression=True)

        if return_labels:
            labels[img_id] = dict(
                split='train' if idx < num_train else 'val',
                semseg=semseg,
                sal=(sal.astype(np.float32) / 255. > 0.5).astype(np.uint8),
                human_parts=_intended_parts(cv, owner, has_parts, part_cls),
                normals_png=np.where(
                    np.isin(label_map, valid_ids)[..., None], normals_rgb,
                    0).astype(np.uint8),
                edge=label_map_edges(label_map),
                label_map=label_map)
    return labels if return_labels else None


def _intended_parts(cv: _Canvas, owner: np.ndarray, has_parts: bool,
                    part_cls) -> np.ndarray:
    """Human-part labels read off the rendering."""
    if not has_parts:
        return np.full(cv.size, 255, np.uint8)
    lut = []
    for p in cv.prims:
        meta = cv.objects[p['obj']]
        annotated = meta.get('name') == 'person' and meta['parts']
        lut.append(part_cls[p['part']] if annotated and p['part'] else 0)
    return np.array(lut + [0], np.uint8)[cv.prim]


# -------------------------------------------------------------------- NYUD
def _render_nyud(idx: int, size: Tuple[int, int], seed: int):
    """Render one indoor NYUD-style scene."""
    rng = np.random.default_rng([seed, 2, idx])
    h, w = size
    cls = {n: i + 1 for i, n in enumerate(nyud_classes())}  # png ids
    cv = _Canvas(
        size,
        focal=0.9 * w,
        horizon=rng.uniform(0.4, 0.55) * h,
        cam_h=rng.uniform(1.0, 1.4))
    far = rng.uniform(4., 6.)
    wall_col = rng.uniform(140, 230, 3)
    for geo, name in ((cv.fronto_plane(far), 'wall'),
                      (cv.vertical_plane(-rng.uniform(1.5, 2.5)),
                       'wall'), (cv.vertical_plane(rng.uniform(1.5, 2.5)),
                                 'wall'), (cv.plane_rows(0.,
                                                         up=True), 'floor'),
                      (cv.plane_rows(2.6, up=False), 'ceiling')):
        o = cv.add_object(cls=cls[name], valid=True)
        cv.paint(o, *geo,
                 wall_col if name == 'wall' else rng.uniform(60, 200, 3))
    # Things on the back wall: a picture, a window (no depth: glass).
    for name in ('picture', 'window'):
        x = rng.uniform(-1.2, 1.2)
        o = cv.add_object(cls=cls[name], valid=name != 'window')
        cv.paint(o, *cv.box(x - .35, x + .35, 1.2, 1.8, far - .02),
                 rng.uniform(20, 240, 3))
    kinds = [
        'bed', 'chair', 'sofa', 'table', 'cabinet', 'lamp', 'box', 'person',
        'clutter'
    ]
    chosen = list(rng.choice(kinds, size=int(rng.integers(2, 5))))
    if idx % 3 == 0:  # guarantee some unlabelled pixels in the set
        chosen.append('clutter')
    for kind in chosen:
        z = rng.uniform(1.5, far - .5)
        x = _place(cv, rng, z)
        col = rng.uniform(30, 230, 3)
        # 'clutter' is geometry without a class: unlabelled (0).
        o = cv.add_object(cls=cls.get(kind, 0), valid=True)
        if kind == 'person':
            _person(
                cv,
                rng,
                o,
                x,
                z,
                rng.uniform(1.5, 1.9),
                hat=rng.random() < 0.3)
        elif kind == 'lamp':
            cv.paint(o, *cv.box(x - .03, x + .03, 0., 1.2, z + .01, 'cyl'),
                     col)
            cv.paint(o, *cv.ellipsoid(x, 1.35, z, .2, .15, .2),
                     (250, 240, 200))
        elif kind == 'clutter':
            cv.paint(o, *cv.ellipsoid(x, .2, z, .3, .2, .25), col)
        else:
            wd, ht = dict(
                bed=(2., .6),
                chair=(.5, .9),
                sofa=(1.8, .9),
                table=(1.2, .75),
                cabinet=(.8, 1.6),
                box=(.4, .35))[kind]
            cv.paint(o, *cv.box(x - wd / 2, x + wd / 2, 0., ht, z), col)
    return cv, rng


def generate_nyud_mt(
        root: str,
        num_train: int = DEMO_NUM_TRAIN,
        num_val: int = DEMO_NUM_VAL,
        size: Tuple[int, int] = DEMO_SIZE,
        seed: int = 0,
        return_labels: bool = False) -> Optional[Dict[str, Labels]]:
    """Write an ``NYUD_MT`` tree under ``root``.

    Args:
        root: Output folder (the ``NYUD_MT`` root).
        num_train: Number of train images.
        num_val: Number of val images.
        size: ``(H, W)`` of the images.
        seed: Random seed.
        return_labels: Also return the intended (decoded) labels.

    Returns:
        dict | None: If ``return_labels``, image id -> dict with ``semseg``
        (uint8 0..39, 255 ignore), ``depth`` (float32, 0 invalid),
        ``normals`` (float32 HxWx3, 255 invalid), ``edge`` (uint8 {0, 1})
        and ``split``.
    """
    dirs = dict(
        img='images',
        seg='segmentation',
        depth='depth',
        normals='normals',
        edge='edge',
        sets='gt_sets')
    for d in dirs.values():
        os.makedirs(osp.join(root, d), exist_ok=True)
    ids = [f'{i:04d}' for i in range(num_train + num_val)]
    splits = dict(train=ids[:num_train], val=ids[num_train:])
    for split, split_ids in splits.items():
        with open(osp.join(root, dirs['sets'], f'{split}.txt'), 'w') as f:
            f.write(''.join(f'{i}\n' for i in split_ids))
    labels = {}
    for idx, img_id in enumerate(ids):
        cv, rng = _render_nyud(idx, size, seed)
        owner = cv.owner()
        seg = np.array([m['cls'] for m in cv.objects], np.uint8)[owner]
        valid = np.array([m['valid'] for m in cv.objects])[owner]
        # Sensor holes: a few random blobs without depth and normals.
        for _ in range(int(rng.integers(1, 3))):
            cy, cx = rng.uniform(0, size[0]), rng.uniform(0, size[1])
            r = rng.uniform(2., 6.)
            valid &= (cv.v - cy)**2 + (cv.u - cx)**2 >= r**2
        depth = np.where(valid, cv.depth, 0.).astype(np.float32)
        normals = np.where(valid[..., None], cv.normals, 0.).astype(np.float32)
        edge = label_map_edges(seg)

        _write_rgb(
            osp.join(root, dirs['img'], f'{img_id}.jpg'),
            cv.image(rng),
            jpg=True)
        cv2.imwrite(osp.join(root, dirs['seg'], f'{img_id}.png'), seg)
        np.save(osp.join(root, dirs['depth'], f'{img_id}.npy'), depth)
        np.save(osp.join(root, dirs['normals'], f'{img_id}.npy'), normals)
        np.save(
            osp.join(root, dirs['edge'], f'{img_id}.npy'),
            edge.astype(np.float32))
        if return_labels:
            sem = seg - np.uint8(1)
            sem[seg == 0] = 255
            labels[img_id] = dict(
                split='train' if idx < num_train else 'val',
                semseg=sem,
                depth=depth,
                normals=np.where(valid[..., None], normals,
                                 255.).astype(np.float32),
                edge=edge)
    return labels if return_labels else None


def generate_demo_data(out_dir: str,
                       dataset: str = 'both',
                       num_train: int = DEMO_NUM_TRAIN,
                       num_val: int = DEMO_NUM_VAL,
                       size: Tuple[int, int] = DEMO_SIZE,
                       seed: int = 0,
                       return_labels: bool = False) -> Dict[str, dict]:
    """Write ``PASCAL_MT`` and/or ``NYUD_MT`` demo trees under ``out_dir``.

    Args:
        out_dir: Parent folder, e.g. ``'data/demo'``.
        dataset: ``'pascal'``, ``'nyud'`` or ``'both'``.
        num_train: Train images per dataset.
        num_val: Val images per dataset.
        size: ``(H, W)``.
        seed: Random seed.
        return_labels: Also return the intended labels.

    Returns:
        dict: ``{'PASCAL_MT': labels, 'NYUD_MT': labels}`` for the written
        sets (labels are None unless ``return_labels``).

    Raises:
        ValueError: On an unknown ``dataset``, non-positive counts or a
            size below 32x32.
    """
    if dataset not in ('pascal', 'nyud', 'both'):
        raise ValueError(f"dataset must be 'pascal', 'nyud' or 'both', got "
                         f'{dataset!r}')
    if num_train < 1 or num_val < 1:
        raise ValueError('num_train and num_val must be positive, got '
                         f'{num_train} and {num_val}')
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 32:
        raise ValueError(f'size must be (H, W) with H, W >= 32, got {size}')
    out = {}
    kwargs = dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        seed=seed,
        return_labels=return_labels)
    if dataset in ('pascal', 'both'):
        out['PASCAL_MT'] = generate_pascal_mt(
            osp.join(out_dir, 'PASCAL_MT'), **kwargs)
    if dataset in ('nyud', 'both'):
        out['NYUD_MT'] = generate_nyud_mt(
            osp.join(out_dir, 'NYUD_MT'), **kwargs)
    return out
