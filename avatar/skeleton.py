"""Node hierarchy, animation clips and the joint palette (sans-IO numpy; no GL, no files).

glTF 2.0 semantics: a node's local transform is T · R · S (spec §3.5.3); a joint's skinning
matrix is ``world(joint) · inverseBindMatrix`` (§3.7.3.3); animation samplers interpolate
STEP, LINEAR (spherical linear for rotations) or CUBICSPLINE (cubic Hermite with in/out
tangents scaled by the keyframe interval, Appendix C), and rotations are renormalised.
Quaternions are (x, y, z, w) float64 throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

_PATH_WIDTH = {"translation": 3, "rotation": 4, "scale": 3}


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a · b`` of (…, 4) xyzw quaternions (broadcasts)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    one = a.ndim == 1 and b.ndim == 1  # one pair (per bone, per frame): floats are ~5× faster
    ax, ay, az, aw = a.tolist() if one else np.moveaxis(a, -1, 0)
    bx, by, bz, bw = b.tolist() if one else np.moveaxis(b, -1, 0)
    parts = [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]
    return np.array(parts) if one else np.stack(parts, axis=-1)


def quat_conj(q: np.ndarray) -> np.ndarray:
    """Conjugate (the inverse of a unit quaternion), (…, 4)."""
    return np.asarray(q, np.float64) * np.array([-1.0, -1.0, -1.0, 1.0])


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (…, 3, 3) of unit quaternions (…, 4)."""
    x, y, z, w = np.moveaxis(np.asarray(q, np.float64), -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def quat_from_matrix(m: np.ndarray) -> np.ndarray:
    """The unit quaternion (4,) of a rotation matrix (3, 3) (Shepperd's method)."""
    m = np.asarray(m, np.float64)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax([m[0, 0], m[1, 1], m[2, 2]]))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(max(1.0 + m[i, i] - m[j, j] - m[k, k], 1e-12))
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i] = s / 4
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
    out = np.asarray(q, np.float64)
    return out / np.linalg.norm(out)


def quat_pow(q: np.ndarray, t: float) -> np.ndarray:
    """``q`` raised to ``t``: the same axis, ``t`` times the angle (shortest arc)."""
    q = np.asarray(q, np.float64)
    if q[3] < 0:
        q = -q
    angle = 2.0 * np.arccos(min(q[3], 1.0))
    s = np.sqrt(max(1.0 - q[3] * q[3], 0.0))
    if s < 1e-9:
        return np.array([0.0, 0.0, 0.0, 1.0])
    half = 0.5 * angle * t
    return np.concatenate([q[:3] / s * np.sin(half), [np.cos(half)]])


def slerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    """Spherical linear interpolation of unit quaternions (4,), shortest path."""
    d = float(np.dot(a, b))
    if d < 0:
        b, d = -b, -d
    if d > 0.9995:
        out = a + u * (b - a)
        return out / np.linalg.norm(out)
    theta = np.arccos(d)
    s = np.sin(theta)
    return (np.sin((1 - u) * theta) * a + np.sin(u * theta) * b) / s


def trs_matrices(t: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Local matrices (N, 4, 4) = T · R · S from (N, 3), (N, 4) xyzw, (N, 3)."""
    n = t.shape[0]
    out = np.zeros((n, 4, 4), np.float64)
    out[:, :3, :3] = quat_to_matrix(r) * s[:, None, :]
    out[:, :3, 3] = t
    out[:, 3, 3] = 1.0
    return out


@dataclass(frozen=True, eq=False)
class Channel:
    """One animation channel with its sampler (glTF ``animation.channels[i]``).

    Attributes:
        node: the target node.
        path: ``translation``, ``rotation``, ``scale`` or ``weights``.
        interpolation: ``STEP``, ``LINEAR`` or ``CUBICSPLINE``.
        times: float64 (K,), seconds, increasing.
        values: float64 (K, C), or (K, 3, C) for CUBICSPLINE (in-tangent, value, out-tangent).
        targets: int64 (C,) global morph target indices for ``weights`` (empty otherwise).
    """

    node: int
    path: str
    interpolation: str
    times: np.ndarray
    values: np.ndarray
    targets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def sample(self, t: float) -> np.ndarray:
        """The channel's value at ``t`` seconds (clamped to the keyframe range): (C,)."""
        times, cubic = self.times, self.interpolation == "CUBICSPLINE"
        vals = self.values[:, 1] if cubic else self.values
        if times.size == 1 or t <= times[0]:
            return vals[0].copy()
        if t >= times[-1]:
            return vals[-1].copy()
        k = int(np.searchsorted(times, t, side="right")) - 1
        t0, t1 = times[k], times[k + 1]
        u = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        if self.interpolation == "STEP":
            return vals[k].copy()
        if cubic:
            d = t1 - t0
            u2, u3 = u * u, u * u * u
            out = (
                (2 * u3 - 3 * u2 + 1) * self.values[k, 1]
                + (u3 - 2 * u2 + u) * d * self.values[k, 2]
                + (-2 * u3 + 3 * u2) * self.values[k + 1, 1]
                + (u3 - u2) * d * self.values[k + 1, 0]
            )
            return out / np.linalg.norm(out) if self.path == "rotation" else out
        if self.path == "rotation":
            return slerp(vals[k], vals[k + 1], u)
        return vals[k] + u * (vals[k + 1] - vals[k])


@dataclass(frozen=True, eq=False)
class Clip:
    """A named node animation (glTF ``animations[i]``).

    Attributes:
        name: the animation's name (``animation_<k>`` when unnamed).
        duration_s: the last keyframe time over all channels, seconds.
        channels: the channels.
    """

    name: str
    duration_s: float
    channels: tuple[Channel, ...]


@dataclass(frozen=True, eq=False)
class Skeleton:
    """The node hierarchy of a model with skins or animations, and its joint palette.

    Attributes:
        names: node names (N,).
        parents: int64 (N,), parent node index, −1 for roots of the scene.
        rest_translation: float64 (N, 3) node ``translation``.
        rest_rotation: float64 (N, 4) node ``rotation`` (xyzw).
        rest_scale: float64 (N, 3) node ``scale``.
        palette_nodes: int64 (P,) node of each palette entry.
        palette_offsets: float64 (P, 4, 4): the skin's inverse bind matrix, or identity for a
            mesh hanging rigidly on its node.
        root: float64 (4, 4) applied above the scene roots (VRM 0.x's turn to face +Z).
    """

    names: tuple[str, ...]
    parents: np.ndarray
    rest_translation: np.ndarray
    rest_rotation: np.ndarray
    rest_scale: np.ndarray
    palette_nodes: np.ndarray
    palette_offsets: np.ndarray
    root: np.ndarray = field(default_factory=lambda: np.eye(4))
    levels: tuple[np.ndarray, ...] = field(init=False)
    rest_world_rotation: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        depth = np.full(len(self.names), -1, np.int64)
        for n in range(len(self.names)):
            chain, k = [], n
            while k >= 0 and depth[k] < 0:
                chain.append(k)
                k = int(self.parents[k])
                if len(chain) > len(self.names):
                    raise ValueError("node hierarchy has a cycle")
            base = depth[k] if k >= 0 else -1
            for i, node in enumerate(reversed(chain)):
                depth[node] = base + 1 + i
        levels = tuple(np.flatnonzero(depth == d) for d in range(int(depth.max(initial=-1)) + 1))
        object.__setattr__(self, "levels", levels)
        root_q = quat_from_matrix(_rotation_part(self.root))
        world_q = np.zeros((len(self.names), 4))
        for level in levels:
            parents = self.parents[level]
            base = np.where(parents[:, None] >= 0, world_q[np.maximum(parents, 0)], root_q)
            world_q[level] = quat_mul(base, self.rest_rotation[level])
        object.__setattr__(self, "rest_world_rotation", world_q)

    def world_matrices(self, t: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
        """World matrices (N, 4, 4) for local TRS arrays (see :func:`trs_matrices`)."""
        local = trs_matrices(t, r, s)
        world = np.empty_like(local)
        for level in self.levels:
            parents = self.parents[level]
            roots = parents < 0
            world[level[roots]] = self.root @ local[level[roots]]
            inner = level[~roots]
            if inner.size:
                world[inner] = world[self.parents[inner]] @ local[inner]
        return world

    def node_worlds(
        self,
        clip: Clip | None = None,
        time_s: float = 0.0,
        rotations: Mapping[int, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[int, float]]:
        """World matrices float64 (N, 4, 4) of every node, and the clip's morph weights.

        Args:
            clip: the clip to sample (``None``: rest pose).
            time_s: seconds into the clip, wrapped to its duration.
            rotations: node → unit quaternion about the avatar's axes, applied on top of the
                clip or rest rotation (the normalised-humanoid convention of
                :mod:`avatar.pose`): ``local' = local · W⁻¹ q W`` with ``W`` the node's rest
                world rotation, so the node turns by ``q`` in the avatar's frame.
        """
        t = self.rest_translation.copy()
        r = self.rest_rotation.copy()
        s = self.rest_scale.copy()
        weights: dict[int, float] = {}
        if clip is not None and clip.channels:
            at = time_s % clip.duration_s if clip.duration_s > 0 else 0.0
            for ch in clip.channels:
                value = ch.sample(at)
                if ch.path == "weights":
                    for target, w in zip(ch.targets.tolist(), value.tolist(), strict=False):
                        weights[target] = w
                else:
                    {"translation": t, "rotation": r, "scale": s}[ch.path][ch.node] = value
        for node, q in (rotations or {}).items():
            w = self.rest_world_rotation[node]
            r[node] = quat_mul(r[node], quat_mul(quat_conj(w), quat_mul(q, w)))
        return self.world_matrices(t, r, s), weights

    def pose(
        self,
        clip: Clip | None = None,
        time_s: float = 0.0,
        rotations: Mapping[int, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[int, float]]:
        """The joint palette float32 (P, 4, 4) and the clip's morph weights {target: weight}
        (arguments as :meth:`node_worlds`)."""
        world, weights = self.node_worlds(clip, time_s, rotations)
        palette = world[self.palette_nodes] @ self.palette_offsets
        return palette.astype(np.float32), weights


def _rotation_part(m: np.ndarray) -> np.ndarray:
    """The rotation of an affine matrix (4, 4) with positive scale: columns normalised."""
    r = np.asarray(m, np.float64)[:3, :3]
    return r / np.maximum(np.linalg.norm(r, axis=0, keepdims=True), 1e-12)


def validate_channel(path: str, interpolation: str, times: np.ndarray, values: np.ndarray) -> None:
    """Check a decoded sampler (values (K, C), or (K, 3, C) for CUBICSPLINE) against its path.

    Raises:
        ValueError: naming the problem.
    """
    if interpolation not in ("STEP", "LINEAR", "CUBICSPLINE"):
        raise ValueError(f"unknown interpolation {interpolation!r}")
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) < 0):
        raise ValueError("sampler input times must be a non-empty increasing list")
    expected = (times.size, 3) if interpolation == "CUBICSPLINE" else (times.size,)
    if values.shape[: len(expected)] != expected:
        raise ValueError(f"sampler outputs {values.shape} do not match {times.size} keyframes")
    if path in _PATH_WIDTH and values.shape[-1] != _PATH_WIDTH[path]:
        raise ValueError(f"{path} sampler values must have {_PATH_WIDTH[path]} components")
