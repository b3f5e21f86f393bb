"""Depth-buffered renderer of simple scenes seen by a level pinhole camera.

Camera frame: x right, y up, z towards the camera; image rows grow
downwards. Every primitive is z-tested into one depth buffer, so the
labels of all tasks can be read off the same rendering.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['Canvas', 'LIGHT']

#: Light direction used for shading (camera frame).
LIGHT = np.array([-0.35, 0.8, 0.5]) / np.linalg.norm([-0.35, 0.8, 0.5])

#: ``(mask, depth, normals)`` of a primitive before the z-test.
Geometry = Tuple[np.ndarray, np.ndarray, np.ndarray]


class Canvas:
    """Depth, normal and primitive buffers of one rendered image.

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
        # Per primitive: owner object, part name, colour, emissive, mask.
        self.prims: List[dict] = []
        self.objects: List[dict] = []

    # ---------------------------------------------------------- objects
    def add_object(self, **meta) -> int:
        """Register an object (its labels, e.g. ``voc``/``ctx``/``cls``).

        Returns:
            int: The object index.
        """
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
        """Z-test a primitive of object ``obj`` into the buffers.

        Args:
            obj: Owner object index.
            mask: HxW silhouette.
            depth: HxW depth of the primitive.
            normals: HxWx3 normals of the primitive.
            colour: RGB colour.
            part: PASCAL-Part part name, if any.
            accessory: Whether the primitive belongs to no part (a hat).
            emissive: Whether it ignores shading (the sky).

        Returns:
            np.ndarray: ``mask`` (the full silhouette, occluded or not).
        """
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
            shading: str = 'flat') -> Geometry:
        """Upright rectangle facing the camera (``'cyl'``: a cylinder)."""
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
                  rz: float) -> Geometry:
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

    def plane_rows(self, height: float, up: bool) -> Geometry:
        """Horizontal plane (ground, ceiling) at ``height`` metres."""
        dv = self.v - self.horizon
        below = dv > 0 if height < self.cam_h else dv < 0
        depth = np.full(self.size, np.inf)
        depth[below] = self.focal * (self.cam_h - height) / dv[below]
        normals = np.zeros(self.size + (3, ))
        normals[..., 1] = 1. if up else -1.
        return below, depth, normals

    def vertical_plane(self, x: float) -> Geometry:
        """Side wall at lateral position ``x`` (normal facing the room)."""
        du = self.u - self.cx
        side = du < 0 if x < 0 else du > 0
        depth = np.full(self.size, np.inf)
        depth[side] = self.focal * x / du[side]
        normals = np.zeros(self.size + (3, ))
        normals[..., 0] = 1. if x < 0 else -1.
        return side, depth, normals

    def fronto_plane(self, z: float) -> Geometry:
        """Wall facing the camera at depth z."""
        normals = np.zeros(self.size + (3, ))
        normals[..., 2] = 1.
        return np.ones(self.size, bool), np.full(self.size, z), normals

    # -------------------------------------------------------- rendering
    def image(self,
              rng: np.random.Generator,
              light: Optional[np.ndarray] = None,
              ambient: float = 0.45,
              diffuse: float = 0.55,
              tint: Sequence[float] = (1., 1., 1.),
              noise: float = 6.) -> np.ndarray:
        """Shaded, noisy RGB ``uint8`` image of the scene.

        Args:
            rng: Generator of the pixel noise.
            light: Unit light direction (camera frame); defaults to
                :data:`LIGHT`.
            ambient: Shade of a surface facing away from the light (1 is
                full brightness).
            diffuse: Shade added for a surface facing the light.
            tint: Per-channel RGB gain of the light (colour cast).
            noise: Standard deviation of the Gaussian pixel noise.
        """
        light = LIGHT if light is None else np.asarray(light, float)
        colours = np.array([p['colour'] for p in self.prims] + [[0, 0, 0]])
        emissive = np.array([p['emissive'] for p in self.prims] + [True])
        shade = ambient + diffuse * np.clip(self.normals @ light, 0., 1.)
        shade = np.where(emissive[self.prim], 1., shade)
        img = colours[self.prim] * shade[..., None]
        if tuple(tint) != (1., 1., 1.):
            img *= np.asarray(tint, float)
        img += rng.normal(0., noise, img.shape)
        return np.clip(img, 0, 255).astype(np.uint8)
