"""Numerical local dimension of the zero set {f = 0} at a point x.

At a point x of a k-dimensional manifold of equilibria, ker J(x) (J = Df) contains the tangent space,
so the corank r = dim ker J(x) is an upper bound for k; it equals k where the manifold is normally
non-degenerate, and exceeds it at degenerate points (ẋ = x³ at 0: r = 1, k = 0).  The test
(in the spirit of Bates–Hauenstein–Peterson–Sommese's local dimension test, done numerically):

1. r and an orthonormal basis N (r, p) of ker J(x) from the SVD (singular values ≤ ``kernel_rtol``·‖J‖₂).
2. For each of the r basis directions and ``extra`` random unit combinations v, step to
   y₀ = x + h·v (h = ``step``·L, L = ‖x‖ or ``length``) and Newton-project back onto f = 0 with
   minimum-norm Gauss–Newton steps y ← y − J(y)⁺ f(y).
3. Keep the projections that converge (the Newton step becomes negligible, ≤ 1e-8·h, with the residual
   at rounding level; the pseudo-inverse keeps every singular value above rounding, so a slow but
   non-zero direction is pulled back to x instead of being mistaken for a neutral one) and stay away
   from x along the kernel (‖N (y − x)‖ ≥ h/2: the zero set extends in that direction instead of pulling back to x).
4. k = numerical rank of the kept kernel displacements N(y − x)/h (singular values ≥ 0.05 of the
   largest); curvature contributes only O(h) to the others.

Works on manifolds too (the attention dynamics live on products of spheres): pass local coordinates
``F(x)`` (p,), ``J(x)`` (p, p), a retraction ``retract(x, δ)`` and ``log(x, y)`` (local coordinates at x of
a nearby point y); the Euclidean defaults are x + δ and y − x.

Examples
--------
>>> import numpy as np
>>> f = lambda x: np.array([x[0] ** 2 + x[1] ** 2 - 1.0, 0.0])       # a circle of equilibria of (f1, 0)
>>> J = lambda x: np.array([[2 * x[0], 2 * x[1]], [0.0, 0.0]])
>>> local_dimension(f, J, np.array([1.0, 0.0])).dimension
1
>>> local_dimension(lambda x: x ** 3, lambda x: np.diag(3 * x ** 2), np.array([0.0])).dimension
0
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import nonnegative_int, positive_int, seed_value, tolerance

__all__ = ["LocalDimension", "local_dimension"]

_EPS = np.finfo(float).eps


@dataclass
class LocalDimension:
    """Result of :func:`local_dimension`.

    dimension : int — k, the measured local dimension of the zero set at x
    corank : int — r = dim ker J(x) (numerical), an upper bound for k
    kernel : (r, p) array — orthonormal basis of ker J(x) in local coordinates
    tangent : (k, p) array — orthonormal basis of the directions along which the zero set extends
    tried, kept : int — projections attempted, and those that converged away from x
    singular_values : array — of the kept kernel displacements (diagnostic)

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda z: -z * (z @ z - 1)
    >>> J = lambda z: -(z @ z - 1) * np.eye(2) - 2 * np.outer(z, z)
    >>> loc = local_dimension(F, J, np.array([0.6, 0.8]))
    >>> np.allclose(np.abs(loc.tangent[0]), [0.8, 0.6])      # the circle's tangent at (0.6, 0.8)
    True
    """

    dimension: int
    corank: int
    kernel: np.ndarray
    tangent: np.ndarray
    tried: int
    kept: int
    singular_values: np.ndarray

    def __repr__(self) -> str:
        return f"LocalDimension(dimension={self.dimension}, corank={self.corank}, kept={self.kept}/{self.tried})"


def _euclidean_retract(x, d):
    return x + d


def _euclidean_log(x, y):
    return y - x


def local_dimension(F: Callable, J: Callable, x: ArrayLike, *, kernel_rtol: float = 1e-7, rtol: float = 1e-10,
                    step: float = 1e-4, length: float | None = None, extra: int = 2, max_iter: int = 60,
                    seed: int = 0, retract: Callable | None = None, log: Callable | None = None) -> LocalDimension:
    """Local dimension of {F = 0} at x (module docstring).

    Parameters
    ----------
    F : callable x -> (p,) — the field (in local coordinates on a manifold)
    J : callable x -> (p, p) — its Jacobian
    x : array — the point (shape as F accepts it)
    kernel_rtol : float — singular values ≤ kernel_rtol·‖J(x)‖₂ span the kernel (default 1e-7)
    rtol : float — a projection has converged when its step is ≤ 1e-8·h and ‖F(y)‖ ≤ max(rtol·h, 1e3·ε·L)·‖J(y)‖₂
        (default 1e-10)
    step : float — h = step·L with L = ``length`` or ‖x‖ (1 at x = 0) (default 1e-4)
    extra : int — random kernel directions tried besides the r basis vectors (default 2)
    max_iter : int — Gauss–Newton iterations per projection (default 60)
    seed : int — seed of the random directions
    retract, log : callables for manifolds (module docstring)

    Returns
    -------
    LocalDimension

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda z: -z * (z @ z - 1)                       # the unit circle is a manifold of equilibria
    >>> J = lambda z: -(z @ z - 1) * np.eye(2) - 2 * np.outer(z, z)
    >>> loc = local_dimension(F, J, np.array([0.6, 0.8]))
    >>> loc.dimension, loc.corank, loc.tangent.shape
    (1, 1, (1, 2))
    >>> local_dimension(F, J, np.zeros(2)).dimension         # the origin is isolated
    0
    """
    kernel_rtol = tolerance(kernel_rtol, "kernel_rtol")
    rtol = tolerance(rtol, "rtol")
    step = tolerance(step, "step")
    extra = nonnegative_int(extra, "extra")
    max_iter = positive_int(max_iter, "max_iter")
    seed = seed_value(seed)
    retract = retract or _euclidean_retract
    log = log or _euclidean_log
    x = np.asarray(x, dtype=float)
    J0 = np.atleast_2d(np.asarray(J(x), dtype=float))
    p = J0.shape[1]
    _, s, vt = np.linalg.svd(J0)
    scale = float(s[0]) if s.size else 0.0
    rank = int(np.sum(s > kernel_rtol * scale)) if scale > 0 else 0
    N = vt[rank:]
    r = N.shape[0]
    empty = np.zeros((0, p))
    if r == 0:
        return LocalDimension(0, 0, N, empty, 0, 0, np.zeros(0))
    L = float(length) if length is not None else (float(np.linalg.norm(x)) or 1.0)
    h = step * L
    rng = np.random.default_rng(seed)
    dirs = list(N)
    for _ in range(extra):
        w = rng.standard_normal(r)
        dirs.append(w @ N / np.linalg.norm(w))
    kept = []
    for v in dirs:
        y = retract(x, h * v)
        ok = False
        for _ in range(max_iter):
            Fy = np.asarray(F(y), dtype=float).ravel()
            Jy = np.atleast_2d(np.asarray(J(y), dtype=float))
            if not (np.all(np.isfinite(Fy)) and np.all(np.isfinite(Jy))):
                break
            # pseudo-inverse of everything above rounding, so that a slow (non-neutral) direction is corrected
            delta = np.linalg.lstsq(Jy, -Fy, rcond=1e3 * _EPS)[0]
            size = float(np.linalg.norm(delta))
            if not np.isfinite(size) or size > 100 * h:
                break
            if size <= 1e-8 * h and np.linalg.norm(Fy) <= max(rtol * h, 1e3 * _EPS * L) * float(np.linalg.norm(Jy, 2)):
                ok = True
                break
            y = retract(y, delta)
        if not ok:
            continue
        c = N @ (np.asarray(log(x, y), dtype=float).ravel() / h)
        if np.linalg.norm(c) >= 0.5:
            kept.append(c)
    if not kept:
        return LocalDimension(0, r, N, empty, len(dirs), 0, np.zeros(0))
    C = np.array(kept)
    _, sv, wt = np.linalg.svd(C, full_matrices=False)
    k = int(np.sum(sv >= 0.05 * sv[0]))
    return LocalDimension(k, r, N, wt[:k] @ N, len(dirs), len(kept), sv)


from ._callable_module import callable_module  # noqa: E402

callable_module(__name__)  # symdyn.local_dimension stays the module; calling it calls local_dimension()
