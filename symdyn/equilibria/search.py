"""Equilibria found by search, independently of any closed form: many-start Gauss–Newton on f(x) = 0 and
integration of ẋ = f(x) from random points, each end point polished by Newton's method.

A solver that lists equilibria (e.g. :meth:`symdyn.LinearSSL.equilibrium_set`) is checked against this search:
every equilibrium the search reaches must lie on a listed component.  The search uses nothing but the field (its
kernel's f and Jacobian), so it cannot share a mistake with an algebraic solver.

The step is the minimum-norm Gauss–Newton step x ← x − J(x)⁺f(x): on a manifold of equilibria (J singular along
it) it converges quadratically to a point of the manifold (the normal directions are the range of Jᵀ).

Examples
--------
>>> import numpy as np
>>> from symdyn import LinearSSL
>>> M = LinearSSL(1, 2, [[1.0]], [[0.8]], None, 0.05)
>>> found = search_equilibria(M.kernel("sg"), starts=16, seed=0)
>>> bool(np.all(found.residuals <= 1e-10))
True
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validate import finite_real, nonnegative_int, seed_value, tolerance

if TYPE_CHECKING:
    from ..kernels import Kernel

__all__ = ["SearchResult", "gauss_newton", "search_equilibria"]


@dataclass
class SearchResult:
    """points (K, D): the equilibria reached; origin (K,): "newton" or "integration"; residuals (K,): the relative
    residual ‖f(x)‖ / (‖J(x)‖_F‖x‖) of each (0 where f(x) = 0 exactly); tried: starts tried; unconverged: starts that reached no
    equilibrium (Newton wandered off, or an integration had not settled).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> found = search_equilibria(VectorField([x, y], [x * (1 - x**2), -y]).lambdify(), starts=32, seed=0)
    >>> found.tried, set(found.origin), bool(found.residuals.max() < 1e-10)
    (32, {'newton'}, True)
    """

    points: np.ndarray
    origin: np.ndarray
    residuals: np.ndarray
    tried: int
    unconverged: int
    notes: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.points)


def _relative_residual(F, J, X):
    """‖f(x)‖ relative to ‖J(x)‖_F ‖x‖ (the size of the terms of a field vanishing at its equilibria)."""
    scale = np.linalg.norm(J, axis=(1, 2)) * np.linalg.norm(X, axis=1)
    nf = np.linalg.norm(F, axis=1)
    with np.errstate(all="ignore"):
        return np.where(nf == 0, 0.0, nf / np.maximum(scale, 1e-300))


def gauss_newton(f: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray], X0: np.ndarray, *,
                 max_iter: int = 60, tol: float = 1e-10,
                 rcond: float = 1e-13) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-norm Gauss–Newton x ← x − J(x)⁺f(x) on a batch of starts.

    Parameters
    ----------
    f : callable (P, D) -> (P, E) — the system, vectorised over points
    jac : callable (P, D) -> (P, E, D) — its Jacobian
    X0 : (P, D) array — starts
    max_iter : int — Newton steps at most
    tol : float — relative residual (‖f‖ / ‖J‖_F‖x‖) below which a point counts as a root
    rcond : float — relative cut-off of the singular values of J (the manifold directions)

    Returns
    -------
    (X, converged, residuals) : (P, D), (P,) bool, (P,) relative residuals.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda X: X**2 - 4.0
    >>> jac = lambda X: (2 * X)[:, :, None]
    >>> X, converged, residuals = gauss_newton(f, jac, np.array([[1.0], [-3.0]]))
    >>> X.ravel().tolist(), converged.tolist()
    ([2.0, -2.0], [True, True])
    """
    X = np.array(X0, dtype=float, copy=True)
    active = np.ones(len(X), dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        x = X[idx]
        with np.errstate(all="ignore"):
            F, J = np.asarray(f(x)), np.asarray(jac(x))
            finite = np.isfinite(F).all(axis=1) & np.isfinite(J).all(axis=(1, 2))
            step = np.zeros_like(x)
            if finite.any():
                step[finite] = np.einsum("pij,pj->pi", np.linalg.pinv(J[finite], rcond=rcond), F[finite])
            x = x - step
            small = np.linalg.norm(step, axis=1) <= 1e-15 * (1 + np.linalg.norm(x, axis=1))
        X[idx] = x
        active[idx[~finite | small | (np.abs(x).max(axis=1) > 1e12)]] = False
    with np.errstate(all="ignore"):
        F, J = np.asarray(f(X)), np.asarray(jac(X))
        res = _relative_residual(F, J, X)
    ok = np.isfinite(X).all(axis=1) & (res <= tol)
    return X, ok, np.where(np.isfinite(res), res, np.inf)


def search_equilibria(kernel: Kernel, starts: int = 64, seed: int = 0, *, scales: tuple = (1e-2, 1e1),
                      x0: ArrayLike | None = None, integrations: int = 0, t_max: float = 400.0, tol: float = 1e-10,
                      **params: ArrayLike) -> SearchResult:
    """Equilibria of ẋ = f(x) reached by many-start Gauss–Newton and by integration from random points.

    Parameters
    ----------
    kernel : Kernel — the field (``f`` and ``jacobian``, batched)
    starts : int — random Newton starts: x = s·u with u uniform on the unit sphere of ℝᴰ and s log-uniform in
        ``scales`` (per block sizes differ by orders of magnitude near the origin and far out, so one scale is not
        enough)
    seed : int — seed of the starts (reproducible)
    scales : (low, high) — range of ‖x‖ of the random starts
    x0 : (K, D) array, optional — additional starts (used as given)
    integrations : int — random points (the first ``integrations`` Newton starts) integrated with LSODA to
        ``t_max`` before Newton's method polishes the end point: these reach the attractors
    tol : float — relative residual ‖f(x)‖/(‖J(x)‖_F‖x‖) for an end point to count as an equilibrium
    params : values of free parameters of the kernel

    Returns
    -------
    SearchResult — the equilibria reached (not de-duplicated: each start's end point), with their residuals.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> found = search_equilibria(VectorField([x, y], [x * (1 - x**2), -y]).lambdify(), starts=32, seed=0)
    >>> sorted({tuple(p) for p in (found.points.round(9) + 0.0).tolist()}), found.unconverged    # (0, 0) and (±1, 0)
    ([(-1.0, 0.0), (0.0, 0.0), (1.0, 0.0)], 0)
    """
    from ..flows import integrate

    starts = nonnegative_int(starts, "starts")
    integrations = nonnegative_int(integrations, "integrations")
    seed = seed_value(seed)
    tol = tolerance(tol, "tol")
    t_max = finite_real(t_max, "t_max", low=0.0, low_open=True)
    if len(scales) != 2 or not 0 < scales[0] <= scales[1] or not np.isfinite(scales[1]):
        raise ValueError(f"scales: expected (low, high) with 0 < low <= high < inf, got {scales!r}")
    k = kernel.bind(**params) if params else kernel
    D = k.dimension
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((starts, D))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    s = np.exp(rng.uniform(np.log(scales[0]), np.log(scales[1]), starts))
    X0 = U * s[:, None]
    if x0 is not None:
        extra = np.asarray(x0, dtype=float).reshape(-1, D)
        if not np.isfinite(extra).all():
            raise ValueError("x0: starts must be finite")
        X0 = np.vstack([X0, extra])
    origin = np.array(["newton"] * len(X0), dtype=object)
    notes = []
    n_int = min(integrations, len(X0))
    if n_int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a trajectory that blows up is simply not an end point
            for i in range(n_int):
                tr = integrate(k, X0[i], t_max, rtol=1e-8, atol=1e-12)
                X0[i] = tr.x[-1] if np.isfinite(tr.x[-1]).all() else X0[i]
                origin[i] = "integration"
    X, ok, res = gauss_newton(k.f, k.jacobian, X0, tol=tol)
    unconverged = int((~ok).sum())
    if unconverged:
        notes.append(f"{unconverged} of {len(X0)} starts reached no equilibrium (residual > {tol:g})")
    return SearchResult(X[ok], origin[ok], res[ok], len(X0), unconverged, notes)
