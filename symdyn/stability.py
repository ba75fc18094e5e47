"""Linear stability at a point that may lie on a manifold (variety) of equilibria.

At a point x* of a k-dimensional manifold of equilibria, the Jacobian J = Df(x*) has at least k
zero eigenvalues (the tangent directions).  The verdict:

* ``"saddle"`` / ``"unstable"`` — some eigenvalue has Re μ > axis_rtol·scale.  By Lyapunov's
  instability theorem this decides instability whatever the neutral count is; ``"saddle"`` when
  other eigenvalues have Re μ < −axis_rtol·scale, ``"unstable"`` otherwise.
* ``"asymptotically stable"`` — the neutral count (|μ| ≤ neutral_rtol·scale) equals k and every
  other eigenvalue has Re μ < −axis_rtol·scale.  For k > 0 this is normal hyperbolicity: the
  manifold is locally attracting and each nearby trajectory converges to a point on it (a point of
  the manifold is then stable, not asymptotically stable; ``report.normally_hyperbolic`` is True).
* ``"inconclusive"`` — otherwise: the neutral count differs from k (e.g. ẋ = x³ at 0 with k = 0,
  or a Jordan block) or a non-neutral eigenvalue lies within tolerance of the imaginary axis.
  The linearisation cannot decide, and we do not guess.

``scale`` is the spectral norm ‖J‖₂ (largest singular value); both tolerances are relative to it.
Defaults: neutral_rtol = axis_rtol = 1e-7 (double precision eigenvalues of a semisimple zero
eigenvalue are accurate to ~1e-15·‖J‖·cond; a 2×2 Jordan block spreads them to ~1e-8).
With ``precision=digits`` the Jacobian is evaluated and diagonalised in mpmath.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

__all__ = ["StabilityReport", "stability", "VERDICTS"]

VERDICTS = ("asymptotically stable", "saddle", "unstable", "inconclusive")


@dataclass
class StabilityReport:
    """Linearisation at one point.

    Attributes
    ----------
    eigenvalues : np.ndarray (D,) complex, sorted by decreasing real part
    neutral_count : int — eigenvalues with |μ| ≤ neutral_rtol·scale
    manifold_dim : int — k, the dimension of the manifold of equilibria through the point
    max_real_nonneutral : float — the largest Re μ over the non-neutral eigenvalues (−inf if none)
    verdict : str — one of VERDICTS
    reason : str — why (one sentence)
    scale : float — ‖J‖₂
    neutral_rtol, axis_rtol : float
    unstable_count : int — eigenvalues with Re μ > axis_rtol·scale
    """

    eigenvalues: np.ndarray
    neutral_count: int
    manifold_dim: int
    max_real_nonneutral: float
    verdict: str
    reason: str
    scale: float
    neutral_rtol: float
    axis_rtol: float
    unstable_count: int = 0

    @property
    def normally_hyperbolic(self) -> bool:
        """True when the verdict is asymptotically stable with the neutral count equal to k."""
        return self.verdict == "asymptotically stable" and self.neutral_count == self.manifold_dim

    def __repr__(self) -> str:
        v = self.verdict
        if v == "asymptotically stable" and self.manifold_dim > 0:
            v += " (normally hyperbolic)"
        return (f"StabilityReport(verdict={v!r}, neutral={self.neutral_count}/k={self.manifold_dim}, "
                f"max_real_nonneutral={self.max_real_nonneutral:.6g}, unstable={self.unstable_count}, "
                f"D={len(self.eigenvalues)})")


def classify_spectrum(eigenvalues, manifold_dim: int, scale: float, neutral_rtol: float = 1e-7,
                      axis_rtol: float = 1e-7) -> StabilityReport:
    """Verdict from a spectrum (see the module docstring).  ``eigenvalues``: (D,) complex."""
    mu = np.asarray(eigenvalues, dtype=complex)
    mu = mu[np.argsort(-mu.real, kind="stable")]
    scale = float(scale)
    neutral = np.abs(mu) <= neutral_rtol * scale
    nonneutral = mu[~neutral]
    axis = axis_rtol * scale
    n_unstable = int(np.sum(nonneutral.real > axis))
    n_stable = int(np.sum(nonneutral.real < -axis))
    n_centre = nonneutral.size - n_unstable - n_stable
    k = int(neutral.sum())
    max_re = float(nonneutral.real.max()) if nonneutral.size else float("-inf")
    if n_unstable:
        verdict = "saddle" if n_stable else "unstable"
        reason = f"{n_unstable} eigenvalue(s) with Re > 0 (Lyapunov instability)"
        if k != manifold_dim:
            reason += f"; note the neutral count {k} differs from the manifold dimension {manifold_dim}"
    elif k != manifold_dim:
        verdict = "inconclusive"
        reason = f"neutral count {k} differs from the manifold dimension {manifold_dim}"
    elif n_centre:
        verdict = "inconclusive"
        reason = f"{n_centre} non-neutral eigenvalue(s) on the imaginary axis within tolerance"
    else:
        verdict = "asymptotically stable"
        reason = (f"{k} neutral eigenvalue(s) = manifold dimension, all others have Re <= {max_re:.3g}"
                  if mu.size else "empty spectrum")
    return StabilityReport(mu, k, manifold_dim, max_re, verdict, reason, scale, neutral_rtol, axis_rtol,
                           n_unstable)


def stability(kernel, x, manifold_dim: int = 0, *, neutral_rtol: float = 1e-7, axis_rtol: float = 1e-7,
              precision: int | None = None, **params) -> StabilityReport:
    """Linear stability of the equilibrium ``x`` (shape (D,)) of ``kernel`` (a Kernel or VectorField).

    Parameters
    ----------
    kernel : Kernel or VectorField
    x : array (D,) — the equilibrium
    manifold_dim : int — k, the dimension of the manifold of equilibria through x (0 if isolated)
    neutral_rtol, axis_rtol : float — tolerances relative to ‖J‖₂ (module docstring)
    precision : int, optional — if given, decimal digits for an mpmath evaluation and eigen-solve
    **params : parameter values not bound in the kernel

    Returns
    -------
    StabilityReport
    """
    from .field import VectorField

    if isinstance(kernel, VectorField):
        kernel = kernel.lambdify()
    if not isinstance(manifold_dim, (int, np.integer)) or manifold_dim < 0:
        raise ValueError(f"manifold_dim: expected a non-negative integer, got {manifold_dim!r}")
    for name, tol in (("neutral_rtol", neutral_rtol), ("axis_rtol", axis_rtol)):
        if not (0 < tol < 1):
            raise ValueError(f"{name}: expected a value in (0, 1), got {tol!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x: expected one point of shape ({kernel.dimension},), got shape {x.shape}")
    if manifold_dim > kernel.dimension:
        raise ValueError(f"manifold_dim: {manifold_dim} exceeds the state dimension {kernel.dimension}")
    if precision is None:
        J = kernel.jacobian(x, **params)
        mu = np.linalg.eigvals(J)
        scale = float(np.linalg.norm(J, 2)) if J.size else 0.0
    else:
        if precision < 16:
            raise ValueError(f"precision: expected at least 16 digits, got {precision}")
        with mpmath.workdps(precision):
            Jm = kernel.jacobian_mp(x, dps=precision, **params)
            ev = mpmath.eig(Jm, left=False, right=False)
            mu = np.array([complex(e) for e in ev])
            scale = float(max(mpmath.svd_r(Jm, compute_uv=False))) if Jm.rows else 0.0
    return classify_spectrum(mu, int(manifold_dim), scale, neutral_rtol, axis_rtol)
